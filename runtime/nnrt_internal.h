/*
 * nnrt_internal.h -- declarations shared between libnnrt's own files and
 * not part of the public interface (nnrt.h).  Never installed.
 */
#ifndef NNRT_INTERNAL_H
#define NNRT_INTERNAL_H

#include "nnrt.h"

/* The HDF5 loader (runtime/nnrt_hdf5.c, built only when libhdf5 is found,
 * which defines NNRT_HAVE_HDF5 for the library).  Called by nnrt_load once
 * the file is known to be HDF5: fills *out (features as float, labels as
 * float) or fills e and returns -1 with *out left empty.  `o` is complete
 * (no NULL), with o->scale already resolved (never 0). */
int nnrt_hdf5_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);

/* Memory for a data set's arrays: at least 64-byte aligned, NOT zeroed,
 * freed with free() (so nnrt_dataset_free can free arrays of every loader
 * alike).  NULL on overflow or failure; n == 0 gives NULL too. */
float *nnrt_data_alloc_floats(size_t n);

#endif /* NNRT_INTERNAL_H */
