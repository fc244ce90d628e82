/*
 * nnrt_npy.h -- numpy's files, read and written by libnnrt: .npy (one
 * array) and .npz (a zip of .npy members, stored or deflated).  Used by
 * the data loader (nnrt_npy_data.c) and by weights files named *.npz
 * (nnrt_npz_weights.c).  Format notes: docs/data.md and docs/weights.md.
 *
 * Reading streams: an array's elements go from the file (or from zlib's
 * inflate) through a 64 KiB buffer into the caller's float or double
 * array, so a data set is still held once.  Before anything is allocated
 * the header's shape is checked against what the file can hold: a plain
 * .npy must be long enough, a zip member's declared size must be the
 * header's, and a deflated member cannot promise more than deflate's
 * largest ratio (1032:1) of its compressed size -- a zip bomb is refused
 * before inflating.  The CRC-32 of each member is checked once it is read.
 *
 * Internal: not installed.  Prefix nnrt_npy_ (arrays) and nnrt_npz_ (the
 * zip container).
 */
#ifndef NNRT_NPY_H
#define NNRT_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "nnrt.h"
#include "nnrt_file.h"

#define NNRT_NPY_MAXDIM 32

/* An array's header. */
typedef struct nnrt_npy_hdr {
    char descr[64];   /* as written: "<f4", "|u1" */
    char kind;        /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int size;         /* bytes per element: 1, 2, 4, 8 */
    int big;          /* big-endian elements */
    int ndim;
    uint64_t shape[NNRT_NPY_MAXDIM];
    uint64_t count;   /* elements: the product of shape (1 for a scalar) */
    uint64_t header_bytes; /* magic to the end of the header */
    char shape_text[96];   /* "(209, 64, 64, 3)", for messages */
} nnrt_npy_hdr;

/* One array being read: a .npy file or a member of an .npz. */
typedef struct nnrt_npy_reader {
    FILE *fp;
    char what[320];     /* "x.npy", "d.npz: array 'x'": messages start with it */
    nnrt_npy_hdr h;
    int deflated;
    z_stream z;
    int z_open;
    uint64_t in_left;   /* bytes of the member (compressed if deflated) still in fp */
    uint64_t out_left;  /* bytes of the member still to deliver */
    int check_crc;
    uint32_t want_crc;
    uLong crc;
    unsigned char in[65536];
} nnrt_npy_reader;

/* One member of an .npz (from its central directory). */
typedef struct nnrt_npz_member {
    char name[128];     /* the array's name: the member's name without ".npy" */
    int method;         /* 0 stored, 8 deflated */
    uint32_t crc;
    uint64_t csize, usize, offset; /* compressed and real size; local header offset */
} nnrt_npz_member;

typedef struct nnrt_npz {
    FILE *fp;
    const char *path;
    uint64_t file_size;
    nnrt_npz_member *mem;
    size_t n;
} nnrt_npz;

/* ---- reading ---- */
/* Opens a .npy file and reads its header; the reader is then at the data. */
int nnrt_npy_open(nnrt_npy_reader *r, const char *path, nnrt_err *e);
/* Reads an .npz's central directory. */
int nnrt_npz_open(nnrt_npz *z, const char *path, nnrt_err *e);
void nnrt_npz_close(nnrt_npz *z);
/* The member holding array `name`, or NULL. */
const nnrt_npz_member *nnrt_npz_find(const nnrt_npz *z, const char *name);
/* "a, b, c" (the arrays it holds), for messages. */
void nnrt_npz_names(const nnrt_npz *z, char *buf, size_t cap);
/* Opens a member and reads its .npy header (from the inflated bytes). */
int nnrt_npz_member_open(nnrt_npz *z, const nnrt_npz_member *mb, nnrt_npy_reader *r,
                         nnrt_err *e);
/* The next n elements, converted: into floats (dst_double 0) or doubles.
 * uint8/bool elements times u8_scale when u8_scale != 1 (1/255: an exact
 * division by 255).  After the last element of a zip member its CRC is
 * checked. */
int nnrt_npy_read(nnrt_npy_reader *r, void *dst, int dst_double, uint64_t n, float u8_scale,
                  nnrt_err *e);
/* One integer element (a scalar, or shape (1,)): *negative set, *v 0, for a
 * negative one. */
int nnrt_npy_read_int(nnrt_npy_reader *r, uint64_t *v, int *negative, nnrt_err *e);
/* One string element (dtype <U), ASCII, into buf. */
int nnrt_npy_read_text(nnrt_npy_reader *r, char *buf, size_t cap, nnrt_err *e);
void nnrt_npy_close(nnrt_npy_reader *r);

/* ---- weights files named *.npz (nnrt_npz_weights.c) ---- */
/* Does path end in .npz (any case)? */
int nnrt_npz_is_name(const char *path);
/* nnrt_weights_save and nnrt_weights_load for an .npz (docs/weights.md);
 * save gets a checkpoint nnrt_weights_save has checked (never NULL). */
int nnrt_npz_weights_save(const char *path, const nnrt_model *m, const nnrt_real *params,
                          const nnrt_checkpoint *ck, nnrt_err *e);
int nnrt_npz_weights_load(const char *path, const nnrt_model *m, nnrt_real *params,
                          nnrt_real *state_out, size_t state_cap, nnrt_checkpoint *ck, nnrt_err *e);

/* ---- writing ---- */
/* An array to write: float32, float64, int64, uint64, or a string (<U). */
typedef struct nnrt_npy_out {
    const char *name;      /* the member is name + ".npy" */
    char type;             /* 'f' float32, 'd' float64, 'i' int64, 'u' uint64, 'U' text */
    int ndim;
    uint64_t shape[2];
    const void *data;      /* type 'U': a C string (ASCII) */
} nnrt_npy_out;

/* Writes the arrays as an .npz through the atomic-write routine (path is
 * replaced whole, or left as it was): deflated members if `deflate`, else
 * stored (as np.savez). */
int nnrt_npz_write(const char *path, const nnrt_npy_out *a, size_t n, int deflate, nnrt_err *e);
/* One array as a .npy file, atomically. */
int nnrt_npy_write(const char *path, const nnrt_npy_out *a, nnrt_err *e);

#endif /* NNRT_NPY_H */
