// nnspec's native kernels: convolution (forward and both gradients), matrix products and the
// max-pooling gradient, run on tensors that live in tfjs-backend-wasm's heap, with OpenBLAS
// doing the products. wasm's XNNPACK reaches ~30 GFLOP/s on two cores (128-bit SIMD, no
// FMA); OpenBLAS with AVX2/AVX-512 reaches ~110 on the same products, and training spends
// most of its time in them. Every function takes Float32Array views (the wasm heap, or any
// other buffer) and writes its output in place; nothing is allocated on the JS side.
//
// Layouts are tfjs's: activations NHWC, filters [kh, kw, ci, co]. A convolution is
// im2col + one sgemm per chunk of output pixels; the chunk bounds the scratch memory
// (cols = rows × kh·kw·ci floats) whatever the batch.
#include <cblas.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);

// Scratch for one chunk of im2col rows per thread: small enough to stay in the core's cache
// between the copy and the product, kept between calls (a fresh 32 MB block per call cost
// more in page faults than the copy itself).
#define SCRATCH_BYTES (2u << 20)
#define MAX_PARTS 16
static float *scratch[MAX_PARTS];
static size_t scratch_len[MAX_PARTS];

static float *scratch_for(int part, size_t floats) {
  if (floats > scratch_len[part]) {
    free(scratch[part]);
    scratch[part] = malloc(floats * sizeof(float));
    scratch_len[part] = scratch[part] ? floats : 0;
  }
  return scratch[part];
}

// Work is split over n_threads threads of our own, started per call (tens of microseconds
// against milliseconds of work), and OpenBLAS runs single-threaded inside each: a convolution
// splits its output pixels, so each thread copies and multiplies its own cache-sized blocks
// (PyTorch's CPU convolutions split the batch the same way), where one product threaded by
// OpenBLAS over the whole batch made both threads wait on memory and on each other.
static int n_threads = 1;

typedef void (*RangeFn)(void *ctx, size_t begin, size_t end, int part);
typedef struct {
  RangeFn fn;
  void *ctx;
  size_t begin, end;
  int part;
} RangeJob;

static void *run_range(void *p) {
  RangeJob *j = p;
  j->fn(j->ctx, j->begin, j->end, j->part);
  return NULL;
}

// Calls fn over [0, n) split into contiguous parts, one per thread (at most `parts`).
static void parallel_for(size_t n, size_t parts, RangeFn fn, void *ctx) {
  if (parts > (size_t)n_threads) parts = n_threads;
  if (parts > n) parts = n;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  if (parts <= 1) {
    if (n) fn(ctx, 0, n, 0);
    return;
  }
  RangeJob jobs[MAX_PARTS];
  pthread_t tids[MAX_PARTS];
  int started[MAX_PARTS] = {0};
  for (size_t i = 0; i < parts; i++) jobs[i] = (RangeJob){fn, ctx, n * i / parts, n * (i + 1) / parts, (int)i};
  for (size_t i = 1; i < parts; i++) started[i] = pthread_create(&tids[i], NULL, run_range, &jobs[i]) == 0;
  run_range(&jobs[0]);
  for (size_t i = 1; i < parts; i++) {
    if (started[i]) pthread_join(tids[i], NULL);
    else run_range(&jobs[i]); // could not start a thread: do its part here
  }
}

typedef struct {
  int n, h, w, ci;   // input
  int kh, kw, co;    // filter
  int oh, ow;        // output
  int sh, sw;        // strides
  int dh, dw;        // dilations
  int pt, pl;        // padding before (top, left); padding after is implied by oh/ow
} Geom;

// ---------------------------------------------------------------------------------------
// N-API plumbing

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, "NNSPEC_NATIVE", msg);
  return NULL;
}

static int f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type t;
  size_t n;
  void *d;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &d, &ab, &off) != napi_ok || t != napi_float32_array) return 0;
  *data = (float *)d;
  if (len) *len = n;
  return 1;
}

static int i32s(napi_env env, napi_value v, int32_t **data, size_t *len) {
  napi_typedarray_type t;
  size_t n;
  void *d;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &d, &ab, &off) != napi_ok || t != napi_int32_array) return 0;
  *data = (int32_t *)d;
  *len = n;
  return 1;
}

static int geom(napi_env env, napi_value v, Geom *g) {
  int32_t *p;
  size_t len;
  if (!i32s(env, v, &p, &len) || len != 17) return 0;
  g->n = p[0]; g->h = p[1]; g->w = p[2]; g->ci = p[3];
  g->kh = p[4]; g->kw = p[5]; g->co = p[6];
  g->oh = p[7]; g->ow = p[8];
  g->sh = p[9]; g->sw = p[10];
  g->dh = p[11]; g->dw = p[12];
  g->pt = p[13]; g->pl = p[14];
  return p[15] == 0 && p[16] == 0; // reserved
}

static size_t in_size(const Geom *g) { return (size_t)g->n * g->h * g->w * g->ci; }
static size_t out_size(const Geom *g) { return (size_t)g->n * g->oh * g->ow * g->co; }
static size_t filter_size(const Geom *g) { return (size_t)g->kh * g->kw * g->ci * g->co; }

// A 1×1 convolution with unit stride and no padding reads x as the cols matrix itself.
static int is_pointwise(const Geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h && g->ow == g->w;
}

// Rows per im2col chunk: a cache-sized block, at least 16 rows.
static size_t chunk_rows(const Geom *g) {
  const size_t k = (size_t)g->kh * g->kw * g->ci;
  size_t rows = SCRATCH_BYTES / (k * sizeof(float));
  return rows < 16 ? 16 : rows;
}

// Parts to split `rows` output rows into: each at least `min_rows`.
static size_t parts_for(size_t rows, size_t min_rows) { return rows / min_rows > 0 ? rows / min_rows : 1; }

// ---------------------------------------------------------------------------------------
// im2col / col2im over output pixels [r0, r0 + rows) of the flattened (n, oh, ow) grid

static void im2col(const float *x, const Geom *g, size_t r0, size_t rows, float *cols) {
  const size_t ci = g->ci, k = (size_t)g->kh * g->kw * ci;
  for (size_t r = 0; r < rows; r++) {
    size_t p = r0 + r;
    int ox = p % g->ow, oy = (p / g->ow) % g->oh, b = p / ((size_t)g->ow * g->oh);
    float *dst = cols + r * k;
    const int ix0 = ox * g->sw - g->pl;
    // Undilated taps of one filter row read kw·ci consecutive floats of x when they all fall
    // inside it: one copy instead of kw (matters when ci is small, as in a first layer).
    const int whole_row = g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->w;
    for (int i = 0; i < g->kh; i++) {
      int iy = oy * g->sh - g->pt + i * g->dh;
      if (iy < 0 || iy >= g->h) {
        memset(dst, 0, g->kw * ci * sizeof(float));
        dst += g->kw * ci;
        continue;
      }
      const float *src = x + (((size_t)b * g->h + iy) * g->w) * ci;
      if (whole_row) {
        memcpy(dst, src + (size_t)ix0 * ci, g->kw * ci * sizeof(float));
        dst += g->kw * ci;
        continue;
      }
      for (int j = 0; j < g->kw; j++, dst += ci) {
        int ix = ix0 + j * g->dw;
        if (ix < 0 || ix >= g->w) memset(dst, 0, ci * sizeof(float));
        else memcpy(dst, src + (size_t)ix * ci, ci * sizeof(float));
      }
    }
  }
}

// Adds the columns of output pixels [r0, r0 + rows) back into dx. Neighbouring output pixels
// add into the same inputs, so threads split whole images.
static void col2im_add(const float *cols, const Geom *g, size_t r0, size_t rows, float *dx) {
  const size_t ci = g->ci, k = (size_t)g->kh * g->kw * ci;
  for (size_t r = 0; r < rows; r++) {
    size_t p = r0 + r;
    int ox = p % g->ow, oy = (p / g->ow) % g->oh, b = p / ((size_t)g->ow * g->oh);
    const float *src = cols + r * k;
    for (int i = 0; i < g->kh; i++) {
      int iy = oy * g->sh - g->pt + i * g->dh;
      for (int j = 0; j < g->kw; j++, src += ci) {
        int ix = ox * g->sw - g->pl + j * g->dw;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
        float *d = dx + (((size_t)b * g->h + iy) * g->w + ix) * ci;
        for (size_t c = 0; c < ci; c++) d[c] += src[c];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Kernels

typedef struct {
  Geom g;
  float *a, *b, *c;
  size_t la, lb, lc;
} ConvArgs;

static int conv_args(napi_env env, napi_callback_info info, ConvArgs *o) {
  size_t argc = 4;
  napi_value a[4];
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 4) return 0;
  return geom(env, a[0], &o->g) && f32(env, a[1], &o->a, &o->la) && f32(env, a[2], &o->b, &o->lb) && f32(env, a[3], &o->c, &o->lc);
}

typedef struct {
  const float *a, *b;
  float *c;
  const Geom *g;
  float **partial; // conv2dBackpropFilter: each part's sum (part 0 sums into c)
  volatile int failed;
} ConvJob;

// The products of one chunk of im2col columns: rows [r0, r0 + rows) of the output grid, the
// first chunk of a part being the one at `begin`.
typedef void (*ChunkProduct)(ConvJob *j, const float *cols, size_t r0, size_t rows, size_t begin, int part);

// Runs `product` over output rows [begin, end) in cache-sized im2col chunks of part `part`.
static void im2col_chunks(ConvJob *j, size_t begin, size_t end, int part, ChunkProduct product) {
  const Geom *g = j->g;
  const size_t k = (size_t)g->kh * g->kw * g->ci, step = chunk_rows(g);
  float *cols = scratch_for(part, step * k);
  if (!cols) {
    j->failed = 1;
    return;
  }
  for (size_t r0 = begin; r0 < end; r0 += step) {
    const size_t rows = end - r0 < step ? end - r0 : step;
    im2col(j->a, g, r0, rows, cols);
    product(j, cols, r0, rows, begin, part);
  }
}

static void forward_product(ConvJob *j, const float *cols, size_t r0, size_t rows, size_t begin, int part) {
  const size_t k = (size_t)j->g->kh * j->g->kw * j->g->ci, co = j->g->co;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, co, k, 1.0f, cols, k, j->b, co, 0.0f, j->c + r0 * co, co);
}

// y rows [begin, end) = cols(x) · filter.
static void forward_part(void *p, size_t begin, size_t end, int part) {
  ConvJob *j = p;
  const size_t k = (size_t)j->g->kh * j->g->kw * j->g->ci, co = j->g->co;
  if (is_pointwise(j->g)) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, end - begin, co, k, 1.0f, j->a + begin * k, k, j->b, co, 0.0f, j->c + begin * co, co);
  else im2col_chunks(j, begin, end, part, forward_product);
}

// y = x ⊛ filter; 0, or -1 when out of memory.
static int conv_forward(const float *x, const float *filter, float *y, const Geom *g) {
  const size_t total = (size_t)g->n * g->oh * g->ow;
  if (total == 0 || g->co == 0) return 0;
  ConvJob j = {x, filter, y, g, NULL, 0};
  parallel_for(total, parts_for(total, 64), forward_part, &j);
  return j.failed ? -1 : 0;
}

// conv2d(geom, x, filter, y): y = x ⊛ filter
static napi_value conv2d(napi_env env, napi_callback_info info) {
  ConvArgs o;
  if (!conv_args(env, info, &o)) return fail(env, "conv2d(geom, x, filter, y): bad arguments");
  const Geom *g = &o.g;
  if (o.la < in_size(g) || o.lb < filter_size(g) || o.lc < out_size(g)) return fail(env, "conv2d: a buffer is smaller than its shape");
  if (conv_forward(o.a, o.b, o.c, g)) return fail(env, "conv2d: out of memory");
  return NULL;
}

static float *part_sum(ConvJob *j, int part) { return part == 0 ? j->c : j->partial[part]; }

static void filter_product(ConvJob *j, const float *cols, size_t r0, size_t rows, size_t begin, int part) {
  const size_t k = (size_t)j->g->kh * j->g->kw * j->g->ci, co = j->g->co;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, co, rows, 1.0f, cols, k, j->b + r0 * co, co, r0 > begin ? 1.0f : 0.0f, part_sum(j, part), co);
}

// Part `part`'s sum of colsᵀ · dy over output rows [begin, end).
static void filter_part(void *p, size_t begin, size_t end, int part) {
  ConvJob *j = p;
  const size_t k = (size_t)j->g->kh * j->g->kw * j->g->ci, co = j->g->co;
  if (!part_sum(j, part)) {
    j->failed = 1;
    return;
  }
  if (is_pointwise(j->g)) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, co, end - begin, 1.0f, j->a + begin * k, k, j->b + begin * co, co, 0.0f, part_sum(j, part), co);
  else im2col_chunks(j, begin, end, part, filter_product);
}

// conv2dBackpropFilter(geom, x, dy, dfilter): dfilter = Σ colsᵀ · dy
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  ConvArgs o;
  if (!conv_args(env, info, &o)) return fail(env, "conv2dBackpropFilter(geom, x, dy, dfilter): bad arguments");
  const Geom *g = &o.g;
  if (o.la < in_size(g) || o.lb < out_size(g) || o.lc < filter_size(g)) return fail(env, "conv2dBackpropFilter: a buffer is smaller than its shape");
  const size_t total = (size_t)g->n * g->oh * g->ow, size = filter_size(g);
  if (total == 0) {
    memset(o.c, 0, size * sizeof(float));
    return NULL;
  }
  size_t parts = parts_for(total, 256);
  if (parts > (size_t)n_threads) parts = n_threads;
  float *partial[MAX_PARTS] = {0};
  for (size_t i = 1; i < parts && i < MAX_PARTS; i++) partial[i] = malloc(size * sizeof(float));
  ConvJob j = {o.a, o.b, o.c, g, partial, 0};
  parallel_for(total, parts, filter_part, &j);
  for (size_t i = 1; i < parts && i < MAX_PARTS; i++) {
    if (partial[i] && !j.failed)
      for (size_t e = 0; e < size; e++) o.c[e] += partial[i][e];
    free(partial[i]);
  }
  if (j.failed) return fail(env, "conv2dBackpropFilter: out of memory");
  return NULL;
}

// dx for output rows [begin, end) (whole images, so that no two parts add into one input):
// cols = dy · filterᵀ, added back by col2im.
static void input_part(void *p, size_t begin, size_t end, int part) {
  ConvJob *j = p;
  const Geom *g = j->g;
  const size_t k = (size_t)g->kh * g->kw * g->ci, co = g->co, image = (size_t)g->oh * g->ow;
  const size_t step = chunk_rows(g);
  float *cols = scratch_for(part, step * k);
  if (!cols) {
    j->failed = 1;
    return;
  }
  const size_t r_begin = begin * image, r_end = end * image;
  memset(j->c + begin * ((size_t)g->h * g->w * g->ci), 0, (end - begin) * ((size_t)g->h * g->w * g->ci) * sizeof(float));
  for (size_t r0 = r_begin; r0 < r_end; r0 += step) {
    const size_t rows = r_end - r0 < step ? r_end - r0 : step;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, co, 1.0f, j->a + r0 * co, co, j->b, co, 0.0f, cols, k);
    col2im_add(cols, g, r0, rows, j->c);
  }
}

// dx rows [begin, end) of a pointwise convolution: dy · filterᵀ.
static void pointwise_input_part(void *p, size_t begin, size_t end, int part) {
  ConvJob *j = p;
  const size_t k = j->g->ci, co = j->g->co;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, end - begin, k, co, 1.0f, j->a + begin * co, co, j->b, co, 0.0f, j->c + begin * k, k);
}

// conv2dBackpropInput(geom, dy, filter, dx)
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info info) {
  ConvArgs o;
  if (!conv_args(env, info, &o)) return fail(env, "conv2dBackpropInput(geom, dy, filter, dx): bad arguments");
  const Geom *g = &o.g;
  if (o.la < out_size(g) || o.lb < filter_size(g) || o.lc < in_size(g)) return fail(env, "conv2dBackpropInput: a buffer is smaller than its shape");
  const size_t total = (size_t)g->n * g->oh * g->ow;
  ConvJob j = {o.a, o.b, o.c, g, NULL, 0};
  if (is_pointwise(g)) {
    if (total) parallel_for(total, parts_for(total, 64), pointwise_input_part, &j);
    return NULL;
  }
  if (g->sh == 1 && g->sw == 1 && g->ci >= 16 && total) {
    // With unit strides the gradient is itself a convolution: of dy, with the filter
    // flipped in space and its channel axes swapped, padded so that it covers the input.
    // A product with kh·kw·co terms per output beats col2im's kh·kw·ci-wide scatter.
    Geom t = {g->n, g->oh, g->ow, g->co, g->kh, g->kw, g->ci, g->h, g->w, 1, 1, g->dh, g->dw,
              (g->kh - 1) * g->dh - g->pt, (g->kw - 1) * g->dw - g->pl};
    float *flipped = malloc(filter_size(g) * sizeof(float));
    if (!flipped) return fail(env, "conv2dBackpropInput: out of memory");
    for (int i = 0; i < g->kh; i++)
      for (int jj = 0; jj < g->kw; jj++)
        for (int c = 0; c < g->ci; c++)
          for (int o2 = 0; o2 < g->co; o2++)
            flipped[(((size_t)(g->kh - 1 - i) * g->kw + (g->kw - 1 - jj)) * g->co + o2) * g->ci + c] =
                o.b[(((size_t)i * g->kw + jj) * g->ci + c) * g->co + o2];
    int err = conv_forward(o.a, flipped, o.c, &t);
    free(flipped);
    if (err) return fail(env, "conv2dBackpropInput: out of memory");
    return NULL;
  }
  if (total == 0) {
    memset(o.c, 0, in_size(g) * sizeof(float));
    return NULL;
  }
  parallel_for(g->n, g->n, input_part, &j);
  if (j.failed) return fail(env, "conv2dBackpropInput: out of memory");
  return NULL;
}

typedef struct {
  const float *A, *B;
  float *C;
  size_t ba, bb, m, n, k;
  int ta, tb;
} MatJob;

// Rows [begin, end) of the batch's stacked results, one product per batch item they touch.
static void mat_part(void *p, size_t begin, size_t end, int part) {
  const MatJob *j = p;
  const size_t m = j->m, n = j->n, k = j->k;
  for (size_t r = begin; r < end;) {
    const size_t i = r / m, r0 = r % m, r1 = (end - i * m) < m ? end - i * m : m;
    const float *Ai = j->A + (j->ba == 1 ? 0 : i) * m * k, *Bi = j->B + (j->bb == 1 ? 0 : i) * k * n;
    // Rows r0… of op(A): rows of A, or columns of A when it is transposed.
    const float *Ar = j->ta ? Ai + r0 : Ai + r0 * k;
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, r1 - r0, n, k, 1.0f, Ar, j->ta ? m : k, Bi,
                j->tb ? k : n, 0.0f, j->C + i * m * n + r0 * n, n);
    r = i * m + r1;
  }
}

// Columns [begin, end) of every batch item's result.
static void mat_columns_part(void *p, size_t begin, size_t end, int part) {
  const MatJob *j = p;
  const size_t m = j->m, n = j->n, k = j->k, batch = j->ba > j->bb ? j->ba : j->bb;
  for (size_t i = 0; i < batch; i++) {
    const float *Ai = j->A + (j->ba == 1 ? 0 : i) * m * k, *Bi = j->B + (j->bb == 1 ? 0 : i) * k * n;
    // Columns begin… of op(B): columns of B, or rows of B when it is transposed.
    const float *Bc = j->tb ? Bi + begin * k : Bi + begin;
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, m, end - begin, k, 1.0f, Ai, j->ta ? m : k, Bc,
                j->tb ? k : n, 0.0f, j->C + i * m * n + begin, n);
  }
}

// matMul(dims, a, b, c): dims = [batchA, batchB, m, n, k, transposeA, transposeB]; c is
// [max(batchA, batchB), m, n]; a batch of 1 is broadcast.
static napi_value mat_mul(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  int32_t *d;
  size_t nd, la, lb, lc;
  float *A, *B, *C;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 4 || !i32s(env, a[0], &d, &nd) || nd != 7 ||
      !f32(env, a[1], &A, &la) || !f32(env, a[2], &B, &lb) || !f32(env, a[3], &C, &lc))
    return fail(env, "matMul(dims, a, b, c): bad arguments");
  const size_t ba = d[0], bb = d[1], m = d[2], n = d[3], k = d[4];
  const int ta = d[5], tb = d[6];
  const size_t batch = ba > bb ? ba : bb;
  if ((ba != bb && ba != 1 && bb != 1) || la < ba * m * k || lb < bb * k * n || lc < batch * m * n)
    return fail(env, "matMul: shapes do not match the buffers");
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    memset(C, 0, batch * m * n * sizeof(float));
    return NULL;
  }
  MatJob j = {A, B, C, ba, bb, m, n, k, ta, tb};
  const size_t rows = batch * m;
  // Split rows when there are enough of them; a product few rows high (a dense layer's
  // forward pass and input gradient at a small batch) splits its columns instead.
  if (rows >= 64 || n < 64) parallel_for(rows, parts_for(rows, 32), mat_part, &j);
  else parallel_for(n, parts_for(n, 32), mat_columns_part, &j);
  return NULL;
}

// Per channel, the first position (row-major) of a window's maximum by strict > from -inf,
// or -1 (a window of NaNs). Branch-free, so that it vectorises: random data makes the
// comparison's branch unpredictable, which cost more than the comparisons.
__attribute__((target_clones("avx2", "default")))
static void window_argmax(const float *x, int w, size_t c, int rmin, int rmax, int dh, int cmin, int cmax, int dw, float *restrict best,
                          int32_t *restrict where) {
  for (size_t ch = 0; ch < c; ch++) best[ch] = -INFINITY, where[ch] = -1;
  for (int xr = rmin; xr < rmax; xr += dh)
    for (int xc = cmin; xc < cmax; xc += dw) {
      const int32_t at = (int32_t)(((size_t)xr * w + xc) * c);
      const float *restrict xv = x + at;
      for (size_t ch = 0; ch < c; ch++) {
        const int gt = xv[ch] > best[ch];
        best[ch] = gt ? xv[ch] : best[ch];
        where[ch] = gt ? at + (int32_t)ch : where[ch];
      }
    }
}

typedef struct {
  const Geom *g;
  const float *dy, *x;
  float *dx;
  volatile int failed;
} MaxPoolJob;

// Images [begin, end): each writes only its own part of dx, so threads split images.
static void max_pool_part(void *p, size_t begin, size_t end, int part) {
  MaxPoolJob *j = p;
  const Geom g = *j->g;
  const size_t c = g.ci, image_size = (size_t)g.h * g.w * c;
  float *best = malloc(c * sizeof(float));
  int32_t *where = malloc(c * sizeof(int32_t));
  if (!best || !where) {
    j->failed = 1;
    free(best);
    free(where);
    return;
  }
  memset(j->dx + begin * image_size, 0, (end - begin) * image_size * sizeof(float));
  for (size_t b = begin; b < end; b++) {
    const float *xi = j->x + b * image_size;
    float *dxi = j->dx + b * image_size;
    for (int r = 0; r < g.oh; r++) {
      int r0 = r * g.sh - g.pt, rmin = r0;
      while (rmin < 0) rmin += g.dh;
      int rmax = r0 + g.kh < g.h ? r0 + g.kh : g.h;
      for (int q = 0; q < g.ow; q++) {
        int c0 = q * g.sw - g.pl, cmin = c0;
        while (cmin < 0) cmin += g.dw;
        int cmax = c0 + g.kw < g.w ? c0 + g.kw : g.w;
        const float *dyv = j->dy + ((b * g.oh + r) * g.ow + q) * c;
        window_argmax(xi, g.w, c, rmin, rmax, g.dh, cmin, cmax, g.dw, best, where);
        for (size_t ch = 0; ch < c; ch++)
          if (where[ch] >= 0) dxi[where[ch]] += dyv[ch];
      }
    }
  }
  free(best);
  free(where);
}

// maxPoolBackprop(geom, dy, x, dx): each window's dy goes to the first position (row-major
// within the window) holding its maximum, found by strict > from -inf as tfjs-cpu does
// (a window of NaNs routes nothing); windows are clipped to the input. geom's co is the
// channel count and kh/kw the effective (dilated) window.
static napi_value max_pool_backprop(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  Geom g;
  float *dy, *x, *dx;
  size_t ldy, lx, ldx;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 4 || !geom(env, a[0], &g) || !f32(env, a[1], &dy, &ldy) ||
      !f32(env, a[2], &x, &lx) || !f32(env, a[3], &dx, &ldx))
    return fail(env, "maxPoolBackprop(geom, dy, x, dx): bad arguments");
  const size_t c = g.ci;
  if (lx < in_size(&g) || ldx < in_size(&g) || ldy < (size_t)g.n * g.oh * g.ow * c) return fail(env, "maxPoolBackprop: a buffer is smaller than its shape");
  if ((size_t)g.h * g.w * c > INT32_MAX) return fail(env, "maxPoolBackprop: an image is too large");
  MaxPoolJob j = {&g, dy, x, dx, 0};
  parallel_for(g.n, g.n, max_pool_part, &j);
  if (j.failed) return fail(env, "maxPoolBackprop: out of memory");
  return NULL;
}

typedef struct {
  const float *x, *bias;
  float *y;
  size_t channels;
  int kind;
  float alpha;
} ActJob;

// Pixels [begin, end): y = act(x + bias), bias along the last axis.
__attribute__((target_clones("avx2", "default")))
static void activation_part(void *p, size_t begin, size_t end, int part) {
  const ActJob *j = p;
  const size_t C = j->channels, len = (end - begin) * C;
  const float *x = j->x + begin * C;
  float *y = j->y + begin * C;
  if (j->bias)
    for (size_t i = 0; i < len; i += C)
      for (size_t c = 0; c < C; c++) y[i + c] = x[i + c] + j->bias[c];
  else if (x != y)
    memcpy(y, x, len * sizeof(float));
  const float al = j->alpha;
  // One plain loop per activation, so that each vectorises.
  switch (j->kind) {
    case 1: for (size_t i = 0; i < len; i++) y[i] = y[i] < 0 ? 0 : y[i]; break; // NaN stays NaN, as in tfjs
    case 2: for (size_t i = 0; i < len; i++) y[i] = y[i] < 0 ? 0 : (y[i] > 6 ? 6 : y[i]); break;
    case 3: for (size_t i = 0; i < len; i++) y[i] = y[i] < 0 ? al * y[i] : y[i]; break;
    case 4: for (size_t i = 0; i < len; i++) y[i] = 1.0f / (1.0f + expf(-y[i])); break;
    case 5: for (size_t i = 0; i < len; i++) y[i] = y[i] < 0 ? expm1f(y[i]) : y[i]; break;
    default: break;
  }
}

// biasActivation(x, bias, y, channels, kind, alpha): y[…, c] = act(x[…, c] + bias[c]); y may
// be x; bias may be null. kind: 0 linear, 1 relu, 2 relu6, 3 leakyrelu (alpha), 4 sigmoid, 5 elu.
static napi_value bias_activation(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value a[6];
  float *x, *y, *bias = NULL;
  size_t lx, ly, lb = 0;
  int32_t channels, kind;
  double alpha;
  napi_valuetype bt;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 6 || !f32(env, a[0], &x, &lx) || napi_typeof(env, a[1], &bt) != napi_ok ||
      (bt != napi_null && !f32(env, a[1], &bias, &lb)) || !f32(env, a[2], &y, &ly) || napi_get_value_int32(env, a[3], &channels) != napi_ok ||
      napi_get_value_int32(env, a[4], &kind) != napi_ok || napi_get_value_double(env, a[5], &alpha) != napi_ok)
    return fail(env, "biasActivation(x, bias, y, channels, kind, alpha): bad arguments");
  if (channels < 1 || lx != ly || ly % channels || (bias && lb != (size_t)channels) || kind < 0 || kind > 5) return fail(env, "biasActivation: bad shape or kind");
  ActJob j = {x, bias, y, (size_t)channels, kind, (float)alpha};
  const size_t pixels = ly / channels;
  parallel_for(pixels, ly / 65536 + 1, activation_part, &j);
  return NULL;
}

typedef struct {
  const float *dy, *x;
  float *dx;
} ReluGradJob;

__attribute__((target_clones("avx2", "default")))
static void relu_grad_span(const float *restrict dy, const float *restrict x, float *restrict dx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float s = x[i] > 0 ? 1.0f : 0.0f;
    dx[i] = dy[i] * (x[i] == x[i] ? s : x[i]);
  }
}

static void relu_grad_part(void *p, size_t begin, size_t end, int part) {
  const ReluGradJob *j = p;
  relu_grad_span(j->dy + begin, j->x + begin, j->dx + begin, end - begin);
}

// reluGrad(dy, x, dx): dx = dy · step(x), tfjs's ReLU gradient (step: 1 above 0, else 0, NaN
// for NaN) in one pass instead of Step, Cast and Multiply.
static napi_value relu_grad(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  float *dy, *x, *dx;
  size_t ldy, lx, ldx;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 3 || !f32(env, a[0], &dy, &ldy) || !f32(env, a[1], &x, &lx) ||
      !f32(env, a[2], &dx, &ldx) || ldy != lx || ldx != lx)
    return fail(env, "reluGrad(dy, x, dx): bad arguments");
  ReluGradJob j = {dy, x, dx};
  parallel_for(lx, lx / 65536 + 1, relu_grad_part, &j);
  return NULL;
}

// reduceSum(runs, x, out, divisor): sums x over its reduced axes in double and rounds once
// (see reduce.ts, which does the same in JavaScript). runs = [size, reduced, size, reduced,
// …], outermost first, adjacent axes of one kind merged and size-1 axes dropped.
static napi_value reduce_sum(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  int32_t *runs;
  size_t nr, lx, lo;
  float *x, *out;
  double divisor;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 4 || !i32s(env, a[0], &runs, &nr) || nr % 2 || nr > 64 ||
      !f32(env, a[1], &x, &lx) || !f32(env, a[2], &out, &lo) || napi_get_value_double(env, a[3], &divisor) != napi_ok)
    return fail(env, "reduceSum(runs, x, out, divisor): bad arguments");
  int nrun = (int)(nr / 2);
  size_t total = 1, kept = 1;
  for (int i = 0; i < nrun; i++) {
    total *= (size_t)runs[2 * i];
    if (!runs[2 * i + 1]) kept *= (size_t)runs[2 * i];
  }
  if (lx < total || lo != kept) return fail(env, "reduceSum: shapes do not match the buffers");
  double *acc = calloc(kept ? kept : 1, sizeof(double));
  if (!acc) return fail(env, "reduceSum: out of memory");
  if (total > 0) {
    size_t inner = 1;
    int inner_reduced = 0;
    if (nrun > 0) {
      nrun--;
      inner = runs[2 * nrun];
      inner_reduced = runs[2 * nrun + 1];
    }
    size_t strides[32], sizes[32], index[32];
    size_t stride = inner_reduced ? 1 : inner;
    for (int i = nrun - 1; i >= 0; i--) {
      sizes[i] = runs[2 * i];
      strides[i] = runs[2 * i + 1] ? 0 : stride;
      if (!runs[2 * i + 1]) stride *= sizes[i];
      index[i] = 0;
    }
    size_t out_at = 0;
    for (size_t in_at = 0; in_at < total; in_at += inner) {
      const float *xv = x + in_at;
      if (inner_reduced) {
        double t = 0;
        for (size_t j = 0; j < inner; j++) t += xv[j];
        acc[out_at] += t;
      } else {
        double *av = acc + out_at;
        for (size_t j = 0; j < inner; j++) av[j] += xv[j];
      }
      for (int i = nrun - 1; i >= 0; i--) {
        out_at += strides[i];
        if (++index[i] < sizes[i]) break;
        out_at -= strides[i] * sizes[i];
        index[i] = 0;
      }
    }
  }
  for (size_t i = 0; i < kept; i++) out[i] = (float)(acc[i] / divisor);
  free(acc);
  return NULL;
}

// ---------------------------------------------------------------------------------------
// Local response normalisation across channels, with tfjs's attributes (a radius and an
// undivided alpha): y = x · (bias + alpha · Σ_window x²)^−beta over channels
// [c − radius, c + radius] clipped. Window sums slide (O(channels) per pixel) and run in
// double, as tfjs-cpu's JavaScript does; wasm's kernels recompute each window with a pow
// per element and were AlexNet's slowest step.

// norm^−beta. pow() was most of the kernel's time; for the betas networks use (AlexNet's
// and GoogLeNet's 0.75, and 0.5) square roots give the same double to within an ulp or two,
// which the float32 result cannot show.
static inline double neg_pow(double norm, double beta) {
  if (beta == 0.75) {
    const double r = sqrt(norm);
    return 1.0 / (r * sqrt(r));
  }
  if (beta == 0.5) return 1.0 / sqrt(norm);
  return pow(norm, -beta);
}

typedef struct {
  const float *x, *y, *dy;
  float *out;
  int channels, radius;
  double bias, alpha, beta;
  volatile int failed;
} LrnJob;

// norm[c] = bias + alpha · Σ_{window(c)} v², for one pixel.
static void window_norms(const float *v, int channels, int radius, double bias, double alpha, double *norm) {
  double sum = 0;
  for (int c = 0; c < radius && c < channels; c++) sum += (double)v[c] * v[c];
  for (int c = 0; c < channels; c++) {
    if (c + radius < channels) sum += (double)v[c + radius] * v[c + radius];
    if (c - radius - 1 >= 0) sum -= (double)v[c - radius - 1] * v[c - radius - 1];
    norm[c] = bias + alpha * (sum < 0 ? 0 : sum);
  }
}

static void lrn_part(void *p, size_t begin, size_t end, int part) {
  LrnJob *j = p;
  const int C = j->channels;
  double *norm = malloc(C * sizeof(double));
  if (!norm) {
    j->failed = 1;
    return;
  }
  for (size_t px = begin; px < end; px++) {
    const float *x = j->x + px * C;
    float *y = j->out + px * C;
    window_norms(x, C, j->radius, j->bias, j->alpha, norm);
    for (int c = 0; c < C; c++) y[c] = (float)(x[c] * neg_pow(norm[c], j->beta));
  }
  free(norm);
}

// dx[k] = dy[k]·norm_k^−β − 2αβ·x[k]·Σ_{d ∈ window(k)} dy[d]·y[d]/norm_d (the windows are
// symmetric, so k ∈ window(d) exactly when d ∈ window(k)).
static void lrn_grad_part(void *p, size_t begin, size_t end, int part) {
  LrnJob *j = p;
  const int C = j->channels, R = j->radius;
  double *norm = malloc(2 * C * sizeof(double));
  if (!norm) {
    j->failed = 1;
    return;
  }
  double *t = norm + C;
  for (size_t px = begin; px < end; px++) {
    const float *x = j->x + px * C, *y = j->y + px * C, *dy = j->dy + px * C;
    float *dx = j->out + px * C;
    window_norms(x, C, R, j->bias, j->alpha, norm);
    for (int c = 0; c < C; c++) t[c] = (double)dy[c] * y[c] / norm[c];
    double sum = 0;
    for (int c = 0; c < R && c < C; c++) sum += t[c];
    for (int c = 0; c < C; c++) {
      if (c + R < C) sum += t[c + R];
      if (c - R - 1 >= 0) sum -= t[c - R - 1];
      dx[c] = (float)(dy[c] * neg_pow(norm[c], j->beta) - 2 * j->alpha * j->beta * x[c] * sum);
    }
  }
  free(norm);
}

// lrn(x, y, channels, radius, bias, alpha, beta) and lrnGrad(x, y, dy, dx, channels, …)
static napi_value lrn_common(napi_env env, napi_callback_info info, int grad) {
  size_t argc = 9;
  napi_value a[9];
  const size_t want = grad ? 9 : 7;
  float *x, *y, *dy = NULL, *dx = NULL;
  size_t lx, ly, ldy = 0, ldx = 0;
  int32_t channels, radius;
  double bias, alpha, beta;
  const int at = grad ? 4 : 2;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != want || !f32(env, a[0], &x, &lx) || !f32(env, a[1], &y, &ly) ||
      (grad && (!f32(env, a[2], &dy, &ldy) || !f32(env, a[3], &dx, &ldx))) || napi_get_value_int32(env, a[at], &channels) != napi_ok ||
      napi_get_value_int32(env, a[at + 1], &radius) != napi_ok || napi_get_value_double(env, a[at + 2], &bias) != napi_ok ||
      napi_get_value_double(env, a[at + 3], &alpha) != napi_ok || napi_get_value_double(env, a[at + 4], &beta) != napi_ok)
    return fail(env, grad ? "lrnGrad(x, y, dy, dx, channels, radius, bias, alpha, beta): bad arguments" : "lrn(x, y, channels, radius, bias, alpha, beta): bad arguments");
  if (channels < 1 || radius < 0 || lx % channels || ly != lx || (grad && (ldy != lx || ldx != lx))) return fail(env, "lrn: shapes do not match");
  LrnJob j = {x, y, dy, grad ? dx : y, channels, radius, bias, alpha, beta, 0};
  size_t pixels = lx / channels;
  parallel_for(pixels, pixels / 64 + 1, grad ? lrn_grad_part : lrn_part, &j);
  if (j.failed) return fail(env, "lrn: out of memory");
  return NULL;
}

static napi_value lrn(napi_env env, napi_callback_info info) { return lrn_common(env, info, 0); }
static napi_value lrn_grad(napi_env env, napi_callback_info info) { return lrn_common(env, info, 1); }

// ---------------------------------------------------------------------------------------
typedef struct {
  const float *w, *v, *g;
  float *wo, *vo;
  float l2, mu, one_mu, rate;
  int caffe, nesterov;
} SgdJob;

static void sgd_part(void *p, size_t begin, size_t end, int part) {
  const SgdJob *j = p;
  const float l2 = j->l2, mu = j->mu, one_mu = j->one_mu, rate = j->rate;
  for (size_t i = begin; i < end; i++) {
    float gi = j->g[i];
    if (l2 != 0) gi = gi + j->w[i] * l2;
    const float prev = j->v[i];
    const float vi = j->caffe ? prev * mu + gi * rate : prev * mu + gi;
    float step;
    if (!j->nesterov) step = j->caffe ? vi : vi * rate;
    else step = j->caffe ? vi * one_mu - prev * mu : (gi + vi * mu) * rate;
    j->vo[i] = vi;
    j->wo[i] = j->w[i] - step;
  }
}

// sgdStep(w, v, g, wOut, vOut, params): one SGD/Nesterov update of a parameter blob in a
// single pass, the same float32 operations in the same order as Optimizer's tfjs ops (so
// bit-identical to them; this file is compiled without FMA contraction). params =
// [l2, mu, 1 + mu, rate, caffe, nesterov], each rounded to float32 from the double the
// tfjs ops would round (l2 includes decay_mult; 0 = none).
static napi_value sgd_step(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value a[6];
  float *w, *v, *g, *wo, *vo;
  size_t lw, lv, lg, lwo, lvo, lp;
  float *params;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 6 || !f32(env, a[0], &w, &lw) || !f32(env, a[1], &v, &lv) ||
      !f32(env, a[2], &g, &lg) || !f32(env, a[3], &wo, &lwo) || !f32(env, a[4], &vo, &lvo) || !f32(env, a[5], &params, &lp) || lp != 6)
    return fail(env, "sgdStep(w, v, g, wOut, vOut, params): bad arguments");
  if (lv != lw || lg != lw || lwo != lw || lvo != lw) return fail(env, "sgdStep: the blobs differ in size");
  SgdJob j = {w, v, g, wo, vo, params[0], params[1], params[2], params[3], params[4] != 0, params[5] != 0};
  parallel_for(lw, lw / 65536 + 1, sgd_part, &j);
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int32_t n;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, a[0], &n) != napi_ok || n < 1)
    return fail(env, "setThreads(n): n must be a whole number ≥ 1");
  openblas_set_num_threads(1);
  n_threads = n;
  return NULL;
}

static napi_value describe(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "core", v);
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "config", v);
  napi_create_int32(env, n_threads, &v);
  napi_set_named_property(env, o, "threads", v);
  return o;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"conv2dBackpropFilter", NULL, conv2d_backprop_filter, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"conv2dBackpropInput", NULL, conv2d_backprop_input, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"matMul", NULL, mat_mul, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"maxPoolBackprop", NULL, max_pool_backprop, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"biasActivation", NULL, bias_activation, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"reluGrad", NULL, relu_grad, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"reduceSum", NULL, reduce_sum, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"lrn", NULL, lrn, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"lrnGrad", NULL, lrn_grad, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"sgdStep", NULL, sgd_step, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"describe", NULL, describe, NULL, NULL, NULL, napi_default_jsproperty, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
