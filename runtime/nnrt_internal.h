/*
 * nnrt_internal.h -- declarations shared between libnnrt's own files and
 * not part of the public interface (nnrt.h).  Never installed.
 */
#ifndef NNRT_INTERNAL_H
#define NNRT_INTERNAL_H

#include "nnrt.h"

/* The data loaders' own interface (nnrt_hdf5_load, nnrt_data_alloc_floats,
 * ...) is in nnrt_data_internal.h. */

#endif /* NNRT_INTERNAL_H */
