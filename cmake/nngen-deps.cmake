# The libraries libnnrt's users link besides it, found the same way by
# nngen's own build (runtime/CMakeLists.txt) and by the installed
# nngenConfig.cmake: the imported targets nngen::sleef (SLEEF) and
# nngen::deflate (libdeflate), each a header and a library (pkg-config's
# .pc file is a hint, not a requirement: Debian's libdeflate 1.14 has no
# CMake package).  zlib is CMake's own ZLIB::ZLIB (FindZLIB); m and,
# before glibc 2.34, dl are plain names in nnrt's link interface.  libhdf5
# is not linked (dlopen()ed).
macro(nngen_find_dep target var header lib pc)
  if(NOT TARGET ${target})
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(NNGEN_PC_${var} QUIET ${pc})
    endif()
    find_path(NNGEN_${var}_INCLUDE_DIR ${header} HINTS ${NNGEN_PC_${var}_INCLUDE_DIRS})
    find_library(NNGEN_${var}_LIBRARY ${lib} HINTS ${NNGEN_PC_${var}_LIBRARY_DIRS})
    mark_as_advanced(NNGEN_${var}_INCLUDE_DIR NNGEN_${var}_LIBRARY)
    if(NNGEN_${var}_INCLUDE_DIR AND NNGEN_${var}_LIBRARY)
      add_library(${target} UNKNOWN IMPORTED)
      set_target_properties(${target} PROPERTIES
        IMPORTED_LOCATION "${NNGEN_${var}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${NNGEN_${var}_INCLUDE_DIR}")
    endif()
  endif()
endmacro()

nngen_find_dep(nngen::sleef SLEEF sleef.h sleef sleef)
nngen_find_dep(nngen::deflate DEFLATE libdeflate.h deflate libdeflate)
