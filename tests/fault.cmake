# Output files under injected faults and signals: tests/faultinject.sh runs
# nngen and two trainers (models/xor, models/fashion) with
# tests/faultinject.c, an LD_PRELOAD shim that fails one open, write, fsync,
# close or rename of an output file (or raises a signal inside it), and
# checks that the old file stays intact, no temporary is left and the
# message is one line (docs/limits.md).  Linux and a native build only (the
# shim interposes glibc's functions; qemu-user would not load it).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT CMAKE_CROSSCOMPILING AND TARGET nngen
   AND TARGET xor AND TARGET fashion)
  add_library(nng_faultinject MODULE faultinject.c)
  # The shim is loaded before any sanitizer runtime: built without one.
  set_property(TARGET nng_faultinject PROPERTY COMPILE_OPTIONS
               "$<$<COMPILE_LANGUAGE:C>:${NNGEN_WARNINGS}>")
  set_property(TARGET nng_faultinject PROPERTY LINK_OPTIONS "")
  target_link_libraries(nng_faultinject PRIVATE ${CMAKE_DL_LIBS})
  add_test(NAME faultinject
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/faultinject.sh
                   $<TARGET_FILE:nng_faultinject> $<TARGET_FILE:nngen> $<TARGET_FILE:xor>
                   $<TARGET_FILE:fashion> ${PROJECT_SOURCE_DIR}/models/xor.spec)
  set_tests_properties(faultinject PROPERTIES LABELS unit TIMEOUT 900)
  if(NNGEN_SANITIZE)
    set_property(TEST faultinject PROPERTY ENVIRONMENT
                 "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp")
  endif()
endif()
