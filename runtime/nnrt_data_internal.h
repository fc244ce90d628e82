/*
 * nnrt_data_internal.h -- the data loaders' internal interface: the loader
 * each format has (nnrt_csv.c, nnrt_idx.c, nnrt_hdf5.c), called by the one
 * dispatch, nnrt_load (nnrt_data.c); and the small pieces every loader
 * shares (nnrt_data_common.c, which calls no loader).  Never installed.
 */
#ifndef NNRT_DATA_INTERNAL_H
#define NNRT_DATA_INTERNAL_H

#include "nnrt.h"

#include <stddef.h>

#include <zlib.h>

/* ------------------------------------------------------------------ */
/* The loaders                                                          */
/* ------------------------------------------------------------------ */
/* Each is called by nnrt_load once the format is known: fills *out
 * (features as float, labels as float) or fills e and returns -1 with
 * *out left empty.  `o` is complete (no NULL), with o->scale already
 * resolved (never 0).  nnrt_load sets out->path afterwards. */

/* CSV, plain or gzip, its columns separated by sep (',' or '\t' for TSV);
 * path "-" is standard input (nnrt_csv.c). */
int nnrt_csv_load(const char *path, char sep, const nnrt_load_opts *o, nnrt_dataset *out,
                  nnrt_err *e);

/* IDX, plain or gzip, with its labels file (nnrt_idx.c). */
int nnrt_idx_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);

/* HDF5 (nnrt_hdf5.c, built only when libhdf5 is found, which defines
 * NNRT_HAVE_HDF5 for the library). */
int nnrt_hdf5_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);

/* numpy: a .npy of features with a .npy of labels, or an .npz
 * (nnrt_npy_data.c). */
int nnrt_npy_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);
int nnrt_npz_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);

/* ------------------------------------------------------------------ */
/* Shared by the loaders (nnrt_data_common.c)                           */
/* ------------------------------------------------------------------ */

/* Memory for a data set's arrays: at least 64-byte aligned, NOT zeroed,
 * freed with free() (so nnrt_dataset_free can free arrays of every loader
 * alike).  NULL on overflow or failure; n == 0 gives NULL too. */
nnrt_real *nnrt_data_alloc_floats(size_t n);

/* A loader's last step: *d gets m samples of nf features and k label
 * columns and takes the arrays *x and *y (m x nf, m x k; NULL when m is 0),
 * which become NULL. */
void nnrt_data_take(nnrt_dataset *d, size_t m, size_t nf, size_t k, nnrt_real **x, nnrt_real **y);

/* 0 if path names something we can read as a file; else fills e.  *kind
 * (if kind is not NULL) gets NULL for a regular file, else what it is ("a
 * FIFO", "a character device", ...). */
int nnrt_data_check_path(const char *path, const char **kind, nnrt_err *e);

/* The most bytes a data set's arrays may take: o->max_bytes (0: the
 * default NNRT_DATA_MAX_BYTES), at most the machine's physical memory. */
size_t nnrt_data_limit(const nnrt_load_opts *o);

/* Before a loader allocates anything: samples of nf features suit
 * o->model (when set) and the limit of values per sample; 0 or -1 with e
 * filled ("PATH: 100 features per sample, but model 'xor' takes 2"). */
int nnrt_data_check_features(const char *path, const nnrt_load_opts *o, size_t nf, nnrt_err *e);

/* m samples of nf features and k label columns fit nnrt_data_limit; 0 or
 * -1 with e filled. */
int nnrt_data_check_bytes(const char *path, const nnrt_load_opts *o, size_t m, size_t nf,
                          size_t k, nnrt_err *e);

/* --format's words (nnrt_data.c): the format a word names; 0, or -1 for
 * none of NNRT_DATA_FORMATS. */
#define NNRT_DATA_FORMATS "csv, tsv, idx, hdf5, npz, npy"
int nnrt_data_format_of(const char *word, nnrt_format *fmt);

/* The labels file nnrt_load reads beside path when o names none (an IDX
 * file's, derived from its name: train-images-idx3-ubyte.gz ->
 * train-labels-idx1-ubyte.gz) into out; 0, or -1 if there is none. */
int nnrt_data_labels_file(const char *path, const nnrt_load_opts *o, char *out, size_t cap);

/* The same name derivation (nnrt_idx.c), the other compression taken when
 * only it exists; 0, or -1 if the name has no "images" to derive from. */
int nnrt_idx_labels_path(const char *path, char *out, size_t cap);

/* Case-insensitive "does s end with suffix". */
int nnrt_data_ends_with(const char *s, const char *suffix);

/* zlib's message for gz's error, without the "PATH: " it starts with;
 * *code gets the error number (Z_OK: none). */
const char *nnrt_data_gz_msg(gzFile gz, const char *path, int *code);

#endif /* NNRT_DATA_INTERNAL_H */
