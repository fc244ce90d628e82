# The documentation that goes stale when the programs change
# (tests/check_docs.sh): the man pages of docs/man/ render without warnings
# and name every option of nngen's and a trainer's --help; docs/spec.md's
# --summary example is what nngen prints.  Host tools: not in cross builds.
if(NOT CMAKE_CROSSCOMPILING AND TARGET nngen AND TARGET xor)
  add_test(NAME check_docs
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_docs.sh ${PROJECT_SOURCE_DIR}
                   $<TARGET_FILE:nngen> $<TARGET_FILE:xor>)
  set_tests_properties(check_docs PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
