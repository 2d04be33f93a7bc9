/* The LSTM recurrence, forward and backward-through-time, in float32 (see _kernel.py).
 *
 * These are the two step loops of lstm_har.nn (_forward_loop and _backward_loop) with the
 * same layouts and the same equations; what changes is that a step is two BLAS calls plus one
 * pass over the gates, instead of ~7 PyTorch ops that each cost ~2 us of dispatch and a round
 * trip through memory. The matrix products go through `gemm`, a Fortran-BLAS sgemm pointer
 * handed over by the caller, so this file needs no BLAS headers or libraries to build.
 * Fortran BLAS is column-major: a row-major (R, C) matrix is, to it, the (C, R) transpose.
 *
 * Threads: batch rows never interact, so each OpenMP thread runs the whole time loop on its
 * own slice of the batch, with no barrier per step (BLAS runs single-threaded inside a
 * parallel region). Built with -fopenmp, this library shares PyTorch's libgomp (same soname,
 * already loaded), so torch.set_num_threads governs it too; without, it runs on one thread.
 *
 * Layouts: row-major and contiguous, batch-major like torch.nn.LSTM's output.
 *   x      (T, B, I)    time-major input, any strides with unit stride along I (so a
 *                       batch-first tensor's transposed view needs no copy)
 *   w_ih   (4H, I);  bias (4H) = b_ih + b_hh;  w_hh (4H, H); gates in the order i, f, g, o
 *   hs     (T+1, B, H)  hs[0] = h_0 on entry
 *   cells  (n+1, B, H)  cells[0] = c_0 on entry; n = T when keep, else 1 (reused each step)
 *   gates  (n, B, 4H)   activated i, f, g, o;  tanh_c (n, B, H)
 */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Split the batch over threads only when each slice has this many gate values a step. */
#define ROWS_MIN_WORK (1L << 11)
/* Up to this many rows, a step's products are row dot products here: at batch 1 a BLAS call
   (a multi-threaded matrix-vector product) took twice as long as this loop. */
#define SMALL_BATCH 4

typedef void (*sgemm_fn)(const char *transa, const char *transb, const int *m, const int *n,
                         const int *k, const float *alpha, const float *a, const int *lda,
                         const float *b, const int *ldb, const float *beta, float *c,
                         const int *ldc);

static inline float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

/* z (R, 4H) += a (R, K) @ W^T (K, 4H), rows of a `lda` floats apart, rows of z `ldz`. */
static void matmul_acc(long R, long G, long K, const float *a, long lda, const float *w,
                       float *z, long ldz, sgemm_fn gemm) {
    if (R > SMALL_BATCH) {
        const int m = (int)G, n = (int)R, k = (int)K, la = (int)lda, lz = (int)ldz;
        const float one = 1.0f;
        gemm("T", "N", &m, &n, &k, &one, w, &k, a, &la, &one, z, &lz);
        return;
    }
    for (long r = 0; r < R; ++r)
        for (long j = 0; j < G; ++j) {
            const float *wj = w + j * K, *ar = a + r * lda;
            float acc = 0.0f;
            for (long q = 0; q < K; ++q) acc += wj[q] * ar[q];
            z[r * ldz + j] += acc;
        }
}

/* How many threads to use for B rows of `work` gate values each (my_rows: this thread's). */
static long n_threads(long B, long work) {
#ifdef _OPENMP
    long n = omp_get_max_threads(), by_work = B * work / ROWS_MIN_WORK;
    n = n < by_work ? n : by_work;
    return n < 1 ? 1 : n;
#else
    (void)B, (void)work;
    return 1;
#endif
}

static void my_rows(long B, long *lo, long *hi) {
#ifdef _OPENMP
    long id = omp_get_thread_num(), n = omp_get_num_threads();
#else
    long id = 0, n = 1;
#endif
    *lo = B * id / n;
    *hi = B * (id + 1) / n;
}

/* Rows lo..hi of the forward loop, all T steps. */
static void forward_rows(long lo, long hi, long T, long B, long H, long I, const float *x,
                         long x_stride_t, long x_stride_b, const float *w_ih, const float *bias,
                         const float *w_hh, float *hs, float *cells, float *gates,
                         float *tanh_c, int keep, sgemm_fn gemm) {
    const long G = 4 * H, N = B * H; /* floats per gate row; per hidden-sized step */
    for (long t = 0; t < T; ++t) {
        const long s = keep ? t : 0;
        float *z = gates + s * B * G, *tc = tanh_c + s * N, *c = cells + (s + 1) * N;
        const float *c_prev = cells + s * N, *h_prev = hs + t * N;
        float *h_t = hs + (t + 1) * N;
        for (long r = lo; r < hi; ++r) memcpy(z + r * G, bias, sizeof(float) * G);
        /* The input projection step by step rather than for all T at once: a (T, B, 4H)
           buffer is 386 MB at B = 2947, H = 64, and filling it costs more than this.
           z (B, 4H) += x_t (B, I) @ W_ih^T + h_{t-1} (B, H) @ W_hh^T, rows lo..hi */
        matmul_acc(hi - lo, G, I, x + t * x_stride_t + lo * x_stride_b, x_stride_b, w_ih,
                   z + lo * G, G, gemm);
        matmul_acc(hi - lo, G, H, h_prev + lo * H, H, w_hh, z + lo * G, G, gemm);
        for (long r = lo; r < hi; ++r) {
            float *zr = z + r * G, *cr = c + r * H, *tcr = tc + r * H, *hr = h_t + r * H;
            const float *cpr = c_prev + r * H;
            /* Plain loops over contiguous floats, so that gcc (-O3 -ffast-math) calls
               glibc's vector expf/tanhf (libmvec) across each of them. */
            for (long j = 0; j < 2 * H; ++j) zr[j] = sigmoid(zr[j]);
            for (long j = 2 * H; j < 3 * H; ++j) zr[j] = tanhf(zr[j]);
            for (long j = 3 * H; j < G; ++j) zr[j] = sigmoid(zr[j]);
            const float *i = zr, *f = zr + H, *g = zr + 2 * H, *o = zr + 3 * H;
            for (long j = 0; j < H; ++j) cr[j] = f[j] * cpr[j] + i[j] * g[j];
            for (long j = 0; j < H; ++j) tcr[j] = tanhf(cr[j]);
            for (long j = 0; j < H; ++j) hr[j] = o[j] * tcr[j];
        }
        if (!keep) /* one step deep: c becomes c_prev */
            memcpy(cells + lo * H, c + lo * H, sizeof(float) * (hi - lo) * H);
    }
}

void lstm_forward_loop_f32(long T, long B, long H, long I, const float *x, long x_stride_t,
                           long x_stride_b, const float *w_ih, const float *bias,
                           const float *w_hh, float *hs, float *cells, float *gates,
                           float *tanh_c, int keep, sgemm_fn gemm) {
    const long threads = n_threads(B, 4 * H);
    if (threads == 1) { /* no region at all: BLAS inside even a one-thread region is nested */
        forward_rows(0, B, T, B, H, I, x, x_stride_t, x_stride_b, w_ih, bias, w_hh, hs, cells,
                     gates, tanh_c, keep, gemm);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        long lo, hi;
        my_rows(B, &lo, &hi);
        forward_rows(lo, hi, T, B, H, I, x, x_stride_t, x_stride_b, w_ih, bias, w_hh, hs, cells,
                     gates, tanh_c, keep, gemm);
    }
}

/* Rows lo..hi of the backward loop, all T steps, last to first. */
static void backward_rows(long lo, long hi, long T, long B, long H, const float *w_hh,
                          const float *gates, const float *cells, const float *tanh_c,
                          const float *dout, float *dh, float *dc, float *dz, sgemm_fn gemm) {
    const long G = 4 * H, N = B * H;
    const int h = (int)H, g4 = (int)G, rows = (int)(hi - lo);
    const float one = 1.0f;
    for (long t = T - 1; t >= 0; --t) {
        float *dh_s = dh + lo * H;
        if (t < T - 1) {
            /* dh (B, H) = dout_t + dz_{t+1} (B, 4H) @ W_hh (4H, H), rows lo..hi */
            if (dout) memcpy(dh_s, dout + t * N + lo * H, sizeof(float) * rows * H);
            else memset(dh_s, 0, sizeof(float) * rows * H);
            gemm("N", "N", &h, &rows, &g4, &one, w_hh, &h, dz + ((t + 1) * B + lo) * G, &g4,
                 &one, dh_s, &h);
        } else if (dout) {
            for (long j = lo * H; j < hi * H; ++j) dh[j] += dout[t * N + j];
        }
        for (long r = lo; r < hi; ++r) {
            const float *z = gates + (t * B + r) * G, *tc = tanh_c + t * N + r * H;
            const float *c_prev = cells + t * N + r * H, *dhr = dh + r * H;
            const float *i = z, *f = z + H, *g = z + 2 * H, *o = z + 3 * H;
            float *d = dz + (t * B + r) * G, *dcr = dc + r * H;
            for (long j = 0; j < H; ++j) {
                const float dcj = dcr[j] + dhr[j] * o[j] * (1.0f - tc[j] * tc[j]);
                d[j] = dcj * g[j] * i[j] * (1.0f - i[j]);              /* dz_i */
                d[H + j] = dcj * c_prev[j] * f[j] * (1.0f - f[j]);     /* dz_f */
                d[2 * H + j] = dcj * i[j] * (1.0f - g[j] * g[j]);      /* dz_g */
                d[3 * H + j] = dhr[j] * tc[j] * o[j] * (1.0f - o[j]);  /* dz_o */
                dcr[j] = dcj * f[j];                                   /* to c_{t-1} */
            }
        }
    }
}

/* dout (T, B, H) or NULL; dh, dc (B, H): dL/dh_T and dL/dc_T on entry (zeros if none), dc
   holds dL/dc_0 on return and dh is scratch. dz (T, B, 4H) receives the pre-activation
   gradients: as a (T*B, 4H) matrix it gives the caller dx, dh_0 and the weight gradients as a
   few large matmuls, with no copy. */
void lstm_backward_loop_f32(long T, long B, long H, const float *w_hh, const float *gates,
                            const float *cells, const float *tanh_c, const float *dout,
                            float *dh, float *dc, float *dz, sgemm_fn gemm) {
    const long threads = n_threads(B, 4 * H);
    if (threads == 1) {
        backward_rows(0, B, T, B, H, w_hh, gates, cells, tanh_c, dout, dh, dc, dz, gemm);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        long lo, hi;
        my_rows(B, &lo, &hi);
        backward_rows(lo, hi, T, B, H, w_hh, gates, cells, tanh_c, dout, dh, dc, dz, gemm);
    }
}
