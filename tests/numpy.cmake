# numpy interchange (issue 12): numpy's legacy generator against a fixture
# numpy produced (tests/fixtures/numpy_random.py writes numpy_random.txt).
nng_test(test_np_random SOURCES test_np_random.c LIBS nnrt)
