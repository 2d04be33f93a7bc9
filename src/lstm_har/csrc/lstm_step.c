/* Inference-only LSTM recurrence for small batches, compiled on first use (see _kernel.py).
 *
 * At batch 1 the Python step loop spends its time in per-op dispatch (~2 us x 7 ops a step),
 * not in arithmetic: one step is a (4H x H) matrix-vector product and 4H gate evaluations.
 * This loop does exactly the equations of lstm_har.nn, in float32, with no allocation:
 *
 *   z = xw_t + W_hh h          (xw_t = W_ih x_t + b_ih + b_hh, precomputed for all t)
 *   i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
 *   c = f * c + i * g;  h = o * tanh(c)
 *
 * Layouts (row-major, contiguous): xw (T, B, 4H) with gates in the order i, f, g, o;
 * w_hh (4H, H); h, c (B, H) initial state, overwritten with the final one; out (T, B, H);
 * scratch (4H). Measured alternatives: a column-order update of z (z += W[:, k] h_k) and a
 * register-blocked one were both slower than these row dot products, which read W_hh once
 * per step with h held in L1.
 */
#include <math.h>

static inline float sigmoidf(float z) { return 1.0f / (1.0f + expf(-z)); }

void lstm_forward_f32(long T, long B, long H, const float *xw, const float *w_hh,
                      float *h, float *c, float *out, float *scratch) {
    const long G = 4 * H;
    for (long t = 0; t < T; ++t) {
        for (long b = 0; b < B; ++b) {
            const float *x = xw + (t * B + b) * G;
            float *hb = h + b * H, *cb = c + b * H, *z = scratch;
            for (long r = 0; r < G; ++r) {
                const float *w = w_hh + r * H;
                float acc = 0.0f;
                for (long k = 0; k < H; ++k) acc += w[k] * hb[k];
                z[r] = x[r] + acc;
            }
            /* Plain loops over contiguous floats, so that gcc uses glibc's vector expf and
               tanhf (libmvec) across each of them. */
            for (long r = 0; r < 2 * H; ++r) z[r] = sigmoidf(z[r]);
            for (long r = 2 * H; r < 3 * H; ++r) z[r] = tanhf(z[r]);
            for (long r = 3 * H; r < G; ++r) z[r] = sigmoidf(z[r]);
            float *o_t = out + (t * B + b) * H;
            for (long j = 0; j < H; ++j) cb[j] = z[H + j] * cb[j] + z[j] * z[2 * H + j];
            for (long j = 0; j < H; ++j) o_t[j] = tanhf(cb[j]) * z[3 * H + j];
            for (long j = 0; j < H; ++j) hb[j] = o_t[j];
        }
    }
}
