/* The LSTM recurrence, forward and backward-through-time, in float32 (see _kernel.py).
 *
 * These are the two step loops of lstm_har.nn (_forward_loop and _backward_loop) with the
 * same layouts and the same equations; what changes is that a step is two BLAS calls plus one
 * pass over the gates, instead of ~7 PyTorch ops that each cost ~2 us of dispatch and a round
 * trip through memory. The matrix products go through `gemm`, a Fortran-BLAS sgemm pointer
 * handed over by the caller, so this file needs no BLAS headers or libraries to build.
 * Fortran BLAS is column-major: a row-major (R, C) matrix is, to it, the (C, R) transpose.
 *
 * Threads: the element-wise passes split the batch over OpenMP threads when there is enough
 * work; built with -fopenmp, this library shares PyTorch's libgomp (same soname, already
 * loaded), so torch.set_num_threads governs it too. Without -fopenmp it runs on one thread.
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

/* Below this many gate values a step, a parallel region costs more than it saves. */
#define PARALLEL_MIN (1L << 12)
/* Up to this batch, a step's products are row dot products here: at batch 1 a BLAS call
   (matrix-vector, multi-threaded) took twice as long as this loop. */
#define SMALL_BATCH 4

static inline float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

typedef void (*sgemm_fn)(const char *transa, const char *transb, const int *m, const int *n,
                         const int *k, const float *alpha, const float *a, const int *lda,
                         const float *b, const int *ldb, const float *beta, float *c,
                         const int *ldc);

/* z (B, 4H) += a (B, K) @ W^T (K, 4H), rows of a `lda` apart: the small-batch product. */
static void small_matmul_acc(long B, long G, long K, const float *a, long lda, const float *w,
                             float *z) {
    for (long r = 0; r < B; ++r)
        for (long j = 0; j < G; ++j) {
            const float *wj = w + j * K, *ar = a + r * lda;
            float acc = 0.0f;
            for (long k = 0; k < K; ++k) acc += wj[k] * ar[k];
            z[r * G + j] += acc;
        }
}

void lstm_forward_loop_f32(long T, long B, long H, long I, const float *x, long x_stride_t,
                           long x_stride_b, const float *w_ih, const float *bias,
                           const float *w_hh, float *hs, float *cells, float *gates,
                           float *tanh_c, int keep, sgemm_fn gemm) {
    const long G = 4 * H, N = B * H; /* floats per gate row; per hidden-sized step */
    const int g4 = (int)G, b = (int)B, h = (int)H, ki = (int)I, ldx = (int)x_stride_b;
    const float one = 1.0f;
    for (long t = 0; t < T; ++t) {
        const long s = keep ? t : 0;
        float *z = gates + s * B * G, *tc = tanh_c + s * N, *c = cells + (s + 1) * N;
        const float *c_prev = cells + s * N, *h_prev = hs + t * N;
        float *h_t = hs + (t + 1) * N;
        for (long r = 0; r < B; ++r) memcpy(z + r * G, bias, sizeof(float) * G);
        if (B <= SMALL_BATCH) {
            small_matmul_acc(B, G, I, x + t * x_stride_t, x_stride_b, w_ih, z);
            small_matmul_acc(B, G, H, h_prev, H, w_hh, z);
        } else {
            /* The input projection step by step rather than for all T at once: a (T, B, 4H)
               buffer is 386 MB at B = 2947, H = 64, and filling it costs more than these.
               z (B, 4H) += x_t (B, I) @ W_ih^T (I, 4H) */
            gemm("T", "N", &g4, &b, &ki, &one, w_ih, &ki, x + t * x_stride_t, &ldx, &one, z,
                 &g4);
            /* z (B, 4H) += h_{t-1} (B, H) @ W_hh^T (H, 4H) */
            gemm("T", "N", &g4, &b, &h, &one, w_hh, &h, h_prev, &h, &one, z, &g4);
        }
#pragma omp parallel for if (B * G >= PARALLEL_MIN)
        for (long r = 0; r < B; ++r) {
            float *zr = z + r * G, *cr = c + r * H, *tcr = tc + r * H, *hr = h_t + r * H;
            const float *cpr = c_prev + r * H;
            /* Plain loops over contiguous floats, so that gcc (-O3 -ffast-math) calls glibc's
               vector expf/tanhf (libmvec) across each of them. */
            for (long j = 0; j < 2 * H; ++j) zr[j] = sigmoid(zr[j]);
            for (long j = 2 * H; j < 3 * H; ++j) zr[j] = tanhf(zr[j]);
            for (long j = 3 * H; j < G; ++j) zr[j] = sigmoid(zr[j]);
            const float *i = zr, *f = zr + H, *g = zr + 2 * H, *o = zr + 3 * H;
            for (long j = 0; j < H; ++j) cr[j] = f[j] * cpr[j] + i[j] * g[j];
            for (long j = 0; j < H; ++j) tcr[j] = tanhf(cr[j]);
            for (long j = 0; j < H; ++j) hr[j] = o[j] * tcr[j];
        }
        if (!keep) memcpy(cells, c, sizeof(float) * N); /* one step deep: c becomes c_prev */
    }
}

/* dout (T, B, H) or NULL; dh, dc (B, H): dL/dh_T and dL/dc_T on entry (zeros if none), dc
   holds dL/dc_0 on return and dh is scratch. dz (T, B, 4H) receives the pre-activation
   gradients: as a (T*B, 4H) matrix it gives the caller dx, dh_0 and the weight gradients as a
   few large matmuls, with no copy. */
void lstm_backward_loop_f32(long T, long B, long H, const float *w_hh, const float *gates,
                            const float *cells, const float *tanh_c, const float *dout,
                            float *dh, float *dc, float *dz, sgemm_fn gemm) {
    const long G = 4 * H, N = B * H;
    const int g4 = (int)G, b = (int)B, h = (int)H;
    const float one = 1.0f;
    for (long t = T - 1; t >= 0; --t) {
        if (t < T - 1) {
            /* dh (B, H) = dout_t + dz_{t+1} (B, 4H) @ W_hh (4H, H) */
            if (dout) memcpy(dh, dout + t * N, sizeof(float) * N);
            else memset(dh, 0, sizeof(float) * N);
            gemm("N", "N", &h, &b, &g4, &one, w_hh, &h, dz + (t + 1) * B * G, &g4, &one, dh, &h);
        } else if (dout) {
            for (long j = 0; j < N; ++j) dh[j] += dout[t * N + j];
        }
#pragma omp parallel for if (B * G >= PARALLEL_MIN)
        for (long r = 0; r < B; ++r) {
            const float *z = gates + (t * B + r) * G, *tc = tanh_c + t * N + r * H;
            const float *c_prev = cells + t * N + r * H, *dhr = dh + r * H;
            const float *i = z, *f = z + H, *g = z + 2 * H, *o = z + 3 * H;
            float *d = dz + (t * B + r) * G, *dcr = dc + r * H;
            for (long j = 0; j < H; ++j) {
                const float dcj = dcr[j] + dhr[j] * o[j] * (1.0f - tc[j] * tc[j]);
                d[j] = dcj * g[j] * i[j] * (1.0f - i[j]);                  /* dz_i */
                d[H + j] = dcj * c_prev[j] * f[j] * (1.0f - f[j]);         /* dz_f */
                d[2 * H + j] = dcj * i[j] * (1.0f - g[j] * g[j]);          /* dz_g */
                d[3 * H + j] = dhr[j] * tc[j] * o[j] * (1.0f - o[j]);      /* dz_o */
                dcr[j] = dcj * f[j];                                       /* to c_{t-1} */
            }
        }
    }
}
