# Toolchain file: cross-compile nngen and libnnrt for aarch64 Linux with
# Debian's cross gcc, and run the results (ctest, any custom command that
# runs a target built here) under qemu-user.  docs/arm.md says how to use it:
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DNNGEN_HOST_NNGEN=$PWD/build-host/compiler/nngen
#
# Packages (scripts/install-deps.sh --arm): gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, qemu-user, and the arm64 multiarch packages
# libsleef-dev:arm64, libcmocka-dev:arm64, libdeflate-dev:arm64, zlib1g-dev:arm64.
#
# Where things live on Debian:
#   /usr/aarch64-linux-gnu            the cross libc (libc6-arm64-cross): crt*.o,
#                                     libc.so, ld-linux-aarch64.so.1
#   /usr/lib/aarch64-linux-gnu        the multiarch arm64 libraries (sleef, cmocka, z)
#   /usr/include/aarch64-linux-gnu    their arch-specific headers (sleef.h)
# The cross gcc already searches all three, so no --sysroot is set.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(NNGEN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${NNGEN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${NNGEN_CROSS_TRIPLE}-g++)
find_program(CMAKE_AR ${NNGEN_CROSS_TRIPLE}-ar)
find_program(CMAKE_RANLIB ${NNGEN_CROSS_TRIPLE}-ranlib)
find_program(CMAKE_OBJDUMP ${NNGEN_CROSS_TRIPLE}-objdump)

# pkg-config must see only the arm64 .pc files, never the host's (an x86-64
# libhdf5-dev would otherwise be "found" and linked).  Environment variables
# set here are seen by every try_compile and pkg_check_modules call.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${NNGEN_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# find_library/find_path: the multiarch directories are reached through
# CMAKE_LIBRARY_ARCHITECTURE (set by CMake from the compiler), so the host
# prefix / is searched with lib/aarch64-linux-gnu; programs come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${NNGEN_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Running aarch64 programs: qemu-user, with the ELF interpreter and libc
# taken from ONE glibc.  The arm64 multiarch packages (libsleef3:arm64, ...)
# pull in libc6:arm64, which installs /lib/ld-linux-aarch64.so.1 and
# /lib/aarch64-linux-gnu/libc.so.6; plain `qemu-aarch64 prog` then uses that
# loader and libc, and finds libsleef/libcmocka/libz in /lib/aarch64-linux-gnu.
# Do NOT add `-L /usr/aarch64-linux-gnu` in that case: the loader would come
# from the cross libc (libc6-arm64-cross) but libc.so.6 still from
# /lib/aarch64-linux-gnu (qemu falls back to the real path when the prefixed
# one is missing), and with the two glibc builds mixed, a guest that calls
# fork() hangs (seen with 2.36-8cross1 + 2.36-9+deb12u14: test_driver,
# test_e2e).  Without libc6:arm64 (no multiarch) -L is the only way to find
# a loader.  A normal variable, not a cache entry, so that reconfiguring an
# existing build directory picks up a change here.
find_program(NNGEN_QEMU_AARCH64 qemu-aarch64)
if(NOT NNGEN_QEMU_AARCH64)
  set(NNGEN_QEMU_AARCH64 qemu-aarch64)
endif()
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${NNGEN_QEMU_AARCH64}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR "${NNGEN_QEMU_AARCH64};-L;/usr/${NNGEN_CROSS_TRIPLE}")
endif()
