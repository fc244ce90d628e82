# --plot (runtime/nnrt_plot.c): test_plot checks the SVG's text for bad
# values, round ticks and the live line's time left; tests/plot.sh renders
# a trainer's SVG with rsvg-convert and checks the picture with
# tests/png_ink.py.  Host tools: not in cross builds.
nng_test(test_plot SOURCES test_plot.c LIBS nnrt)
if(NOT CMAKE_CROSSCOMPILING AND TARGET xor)
  add_test(NAME plot
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plot.sh $<TARGET_FILE:xor>
                   $<TARGET_FILE:test_plot> ${CMAKE_CURRENT_SOURCE_DIR}/png_ink.py)
  set_tests_properties(plot PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
