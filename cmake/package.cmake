# What `cmake --install` puts beside bin/nngen, lib/libnnrt.a, nnrt.h and
# nnrt.pc (compiler/, runtime/), and the .deb (CPack).  Included by the top
# CMakeLists.txt.
#
#   <libdir>/cmake/nngen/  nngenConfig.cmake, its version file, the targets
#                          nngen::nngen and nngen::nnrt, nngen_add_model()
#   share/doc/nngen/       README.md, LICENSE, docs/*.md (the --help texts
#                          point here); copyright (Debian's machine-readable
#                          form of LICENSE) and changelog.gz, as a .deb has
#   share/man/man1/        nngen.1.gz, nngen-trainer.1.gz (docs/man/, gzip -9n)
#
# The build tree is a package too: find_package(nngen CONFIG) with
# nngen_DIR=<build dir> uses this build's nngen and libnnrt.
if(NOT NNGEN_INSTALL)
  return()
endif()
include(CMakePackageConfigHelpers)
set(NNGEN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nngen)

# One nngenConfig.cmake for both; it finds its neighbours beside itself.
configure_file(cmake/nngenConfig.cmake.in ${PROJECT_BINARY_DIR}/nngenConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nngenConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
foreach(f nngen.cmake nngen-deps.cmake)
  configure_file(cmake/${f} ${PROJECT_BINARY_DIR}/${f} COPYONLY)
endforeach()
export(EXPORT nngenTargets NAMESPACE nngen:: FILE ${PROJECT_BINARY_DIR}/nngenTargets.cmake)

install(EXPORT nngenTargets NAMESPACE nngen:: DESTINATION ${NNGEN_CMAKE_DIR})
install(FILES ${PROJECT_BINARY_DIR}/nngenConfig.cmake
              ${PROJECT_BINARY_DIR}/nngenConfigVersion.cmake
              cmake/nngen.cmake cmake/nngen-deps.cmake
        DESTINATION ${NNGEN_CMAKE_DIR})

file(GLOB NNGEN_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES README.md LICENSE ${NNGEN_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Debian's copyright file (copyright-format 1.0): LICENSE's notice and text.
file(READ ${PROJECT_SOURCE_DIR}/LICENSE license)
string(REGEX MATCH "Copyright \\(c\\) ([^\n]+)" _ "${license}")
set(holder "${CMAKE_MATCH_1}")
string(REGEX REPLACE "^MIT License\n+Copyright[^\n]*\n+" "" terms "${license}")
string(REGEX REPLACE "\n+$" "" terms "${terms}")
string(REGEX REPLACE "\n\n" "\n.\n" terms "${terms}")
string(REGEX REPLACE "\n" "\n " terms "${terms}")
file(WRITE ${PROJECT_BINARY_DIR}/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nngen

Files: *
Copyright: ${holder}
License: Expat
 ${terms}
")
install(FILES ${PROJECT_BINARY_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man pages and the changelog gzipped, as Debian installs them; -n: no
# name or time inside, so the bytes depend on the text alone.
find_program(NNGEN_GZIP gzip)
set(NNGEN_DEB_DATE "Tue, 01 Dec 2026 00:00:00 +0000" CACHE STRING
    "The date of the changelog's entry for this version")
set(NNGEN_DEB_MAINTAINER "nngen maintainers <nngen@localhost>" CACHE STRING
    "The .deb's Maintainer field")
file(WRITE ${PROJECT_BINARY_DIR}/changelog
"nngen (${PROJECT_VERSION}) unstable; urgency=medium

  * Release ${PROJECT_VERSION} (README.md: what it is; docs/: the manuals).

 -- ${NNGEN_DEB_MAINTAINER}  ${NNGEN_DEB_DATE}
")
set(pages docs/man/nngen.1 docs/man/nngen-trainer.1)
if(NNGEN_GZIP)
  set(gz "")
  foreach(f ${pages} ${PROJECT_BINARY_DIR}/changelog)
    get_filename_component(abs ${f} ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
    get_filename_component(name ${f} NAME)
    set(out ${PROJECT_BINARY_DIR}/gz/${name}.gz)
    add_custom_command(OUTPUT ${out}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/gz
                       COMMAND ${NNGEN_GZIP} -9nc ${abs} > ${out}
                       DEPENDS ${abs} COMMENT "gzip ${name}")
    list(APPEND gz ${out})
  endforeach()
  add_custom_target(nngen_gz ALL DEPENDS ${gz})
  list(POP_BACK gz changelog_gz)
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${changelog_gz} DESTINATION ${CMAKE_INSTALL_DOCDIR})
else() # no gzip: the pages as they are
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${PROJECT_BINARY_DIR}/changelog DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()

# ---- the .deb: cpack -G DEB in the build directory ---------------------------
# Configure with -DCMAKE_INSTALL_PREFIX=/usr so that the libdir is Debian's
# multiarch one (lib/x86_64-linux-gnu); the package installs under /usr.
if(NOT NNGEN_IS_TOP_LEVEL)
  return()
endif()
set(CPACK_PACKAGE_NAME nngen)
set(CPACK_PACKAGE_VENDOR "the nngen authors")
set(CPACK_PACKAGE_CONTACT "${NNGEN_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ahead-of-time compiler for small dense neural networks, and its runtime")
set(CPACK_PACKAGE_DESCRIPTION
"nngen reads a layer spec (input, dense layers, loss, training settings) and
writes one C file specialized to those sizes: forward pass, backward pass and
optimizer update with AVX2, NEON and scalar paths. Linked with libnnrt (the
static runtime in this package) the file becomes a command-line trainer.
Includes nngen(1), nngen-trainer(1), the CMake package (find_package(nngen))
and nnrt.pc.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Depends: computed when cpack runs (cmake/nngen-cpack.cmake.in), with
# dpkg-shlibdeps over the package's programs and a probe linked with the
# SLEEF, libdeflate, zlib and libhdf5 this build found (libhdf5 is dlopen()ed
# by every trainer that reads .h5, so it is a dependency although nothing
# links it), plus the -dev packages owning sleef.h, libdeflate.h and zlib.h
# (libnnrt.a is linked with
# them) and python3 for nngen-compare.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gcc | c-compiler, cmake, pkg-config")

find_package(ZLIB REQUIRED) # ZLIB_LIBRARIES and ZLIB_INCLUDE_DIR in this scope
# The package's programs, for dpkg-shlibdeps; what it cannot see is stated:
# nngen-compare is a Python 3 script.
set(NNGEN_CPACK_ELFS "$<TARGET_FILE:nngen>")
if(TARGET nngen-compare-peak)
  string(APPEND NNGEN_CPACK_ELFS ";$<TARGET_FILE:nngen-compare-peak>")
endif()
set(NNGEN_CPACK_STATED "")
if(EXISTS ${PROJECT_SOURCE_DIR}/compare/nngen-compare.in)
  set(NNGEN_CPACK_STATED "python3")
endif()
set(NNGEN_CPACK_HDF5_LIBRARY "")
set(NNGEN_CPACK_PROBE_HDF5 "") # the probe's use of libhdf5
if(NNRT_HAVE_HDF5 AND NNRT_HDF5_LIBRARY)
  set(NNGEN_CPACK_HDF5_LIBRARY "${NNRT_HDF5_LIBRARY}")
  set(NNGEN_CPACK_PROBE_HDF5 ", H5open")
endif()
configure_file(cmake/nngen-cpack.cmake.in ${PROJECT_BINARY_DIR}/nngen-cpack.cmake.gen @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/nngen-cpack.cmake
     INPUT ${PROJECT_BINARY_DIR}/nngen-cpack.cmake.gen)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/nngen-cpack.cmake)
include(CPack)
