# The libraries libnnrt's users link besides it, found the same way by
# nngen's own build (runtime/CMakeLists.txt) and by the installed
# nngenConfig.cmake: the imported target nngen::sleef (SLEEF: header and
# library; pkg-config's sleef.pc is a hint, not a requirement).  zlib is
# CMake's own ZLIB::ZLIB (FindZLIB); m and, before glibc 2.34, dl are plain
# names in nnrt's link interface.  libhdf5 is not linked (dlopen()ed).
if(NOT TARGET nngen::sleef)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(NNGEN_PC_SLEEF QUIET sleef)
  endif()
  find_path(NNGEN_SLEEF_INCLUDE_DIR sleef.h HINTS ${NNGEN_PC_SLEEF_INCLUDE_DIRS})
  find_library(NNGEN_SLEEF_LIBRARY sleef HINTS ${NNGEN_PC_SLEEF_LIBRARY_DIRS})
  mark_as_advanced(NNGEN_SLEEF_INCLUDE_DIR NNGEN_SLEEF_LIBRARY)
  if(NNGEN_SLEEF_INCLUDE_DIR AND NNGEN_SLEEF_LIBRARY)
    add_library(nngen::sleef UNKNOWN IMPORTED)
    set_target_properties(nngen::sleef PROPERTIES
      IMPORTED_LOCATION "${NNGEN_SLEEF_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${NNGEN_SLEEF_INCLUDE_DIR}")
  endif()
endif()
