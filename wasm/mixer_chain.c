/*
 * The mixer chain of mixer/dsp.py (input gain -> noise gate -> compressor -> 3-band EQ ->
 * look-ahead limiter) for WebAssembly, with no libc.
 *
 * This is a statement-by-statement port of mixer/dsp.py: `coefficients()` is configure(),
 * `_kernel()` is chain_process(). Every arithmetic expression keeps Python's order of
 * operations, in double precision, so the output matches the server's to rounding (the
 * parity tests in tests/wasm/ hold it to 1e-4 over long streams; in practice it is
 * bit-identical when the host's exp/log/pow are the same libm). Read dsp.py's module
 * docstring for why the chain does what it does; the comments here only cover the port.
 *
 * exp/log/pow/sin/cos/log10 are imported from the host (module "env"): JS Math in the
 * browser, Python's math under wasmtime. sqrt and fabs are wasm instructions.
 *
 * One instance holds one stream (one chain state). ABI, all exports prefixed chain_:
 *   chain_init(sample_rate) -> 0 | -1     reset to a fresh state at a rate (8-192 kHz)
 *   chain_param_count(), chain_param_name(i) -> char*, chain_param_min(i), chain_param_max(i)
 *   chain_params() -> double*             the settings, one slot per name ("eq.low", ...)
 *   chain_configure() -> -1 | i           apply chain_params(); i = first invalid slot: the
 *                                         previous settings stay in force, and chain_params()
 *                                         reads them again
 *   chain_input(), chain_output() -> float*   CHAIN_MAX_FRAME samples each
 *   chain_process(n) -> 0 | -1 | -2       n samples in -> out; -1 bad n, -2 non-finite input
 *   chain_meters() -> double*             peak dBFS, RMS dBFS, compressor GR dB, limiter GR dB
 *   chain_latency() -> int                samples the output lags the input
 */

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

IMPORT(exp) double host_exp(double);
IMPORT(log) double host_log(double);
IMPORT(pow) double host_pow(double, double);
IMPORT(sin) double host_sin(double);
IMPORT(cos) double host_cos(double);
IMPORT(log10) double host_log10(double);

#define CHAIN_MAX_FRAME 8192
#define MIN_RATE 8000
#define MAX_RATE 192000
#define LOOKAHEAD_MS 1.5
#define MAX_RING 289 /* round(1.5 * 192000 / 1000) + 1 */
#define GATE_DETECTOR_MS 10.0
#define METER_FLOOR_DB (-120.0)
#define LOW_SHELF_HZ 120.0
#define MID_BELL_HZ 1000.0
#define HIGH_SHELF_HZ 8000.0
#define MID_BELL_Q 0.9
#define DENORMAL 1e-30
#define DEFICIT_FLOOR 1e-9
#define PI 3.141592653589793

static double fabs_(double v) { return __builtin_fabs(v); }
static double min_(double a, double b) { return b < a ? b : a; } /* Python's min(a, b) */
static double max_(double a, double b) { return b > a ? b : a; } /* Python's max(a, b) */
static int finite_(double v) { return v == v && fabs_(v) <= 1.7976931348623157e308; }

/* ---------------------------------------------------------------------------- settings */

enum {
    P_GAIN, P_BYPASS,
    P_GATE_ON, P_GATE_THRESHOLD, P_GATE_ATTACK, P_GATE_HOLD, P_GATE_RELEASE, P_GATE_FLOOR,
    P_COMP_ON, P_COMP_RATIO, P_COMP_THRESHOLD, P_COMP_ATTACK, P_COMP_RELEASE, P_COMP_KNEE,
    P_COMP_MAKEUP,
    P_EQ_ON, P_EQ_LOW, P_EQ_MID, P_EQ_HIGH,
    P_LIM_ON, P_LIM_CEILING, P_LIM_RELEASE,
    N_PARAMS
};

/* Names are the spec's camelCase config paths; ranges and defaults are ChainSettings'. A
 * test compares this table with the dataclasses, so the two cannot drift apart. Booleans
 * are 0/1 with range [0, 1]. */
static const struct { const char *name; double low, high, fallback; } PARAMS[N_PARAMS] = {
    {"gain", -20, 20, 0}, {"bypass", 0, 1, 0},
    {"noiseGate.enabled", 0, 1, 1}, {"noiseGate.threshold", -60, 0, -50},
    {"noiseGate.attack", 0.1, 50, 1}, {"noiseGate.hold", 0, 500, 20},
    {"noiseGate.release", 5, 2000, 100}, {"noiseGate.floor", -100, 0, -80},
    {"compressor.enabled", 0, 1, 1}, {"compressor.ratio", 1, 20, 4},
    {"compressor.threshold", -40, 0, -20}, {"compressor.attack", 0.1, 100, 10},
    {"compressor.release", 10, 1000, 100}, {"compressor.knee", 0, 24, 6},
    {"compressor.makeupGain", 0, 24, 0},
    {"eq.enabled", 0, 1, 1}, {"eq.low", -12, 12, 0}, {"eq.mid", -12, 12, 0},
    {"eq.high", -12, 12, 0},
    {"limiter.enabled", 0, 1, 1}, {"limiter.ceiling", -3, 0, -1},
    {"limiter.release", 1, 1000, 50},
};

static double params[N_PARAMS], applied[N_PARAMS]; /* requested, and in force */

EXPORT(chain_param_count) int chain_param_count(void) { return N_PARAMS; }
EXPORT(chain_param_name) const char *chain_param_name(int i) { return PARAMS[i].name; }
EXPORT(chain_param_min) double chain_param_min(int i) { return PARAMS[i].low; }
EXPORT(chain_param_max) double chain_param_max(int i) { return PARAMS[i].high; }
EXPORT(chain_params) double *chain_params(void) { return params; }

static int is_flag(int i) { return PARAMS[i].low == 0 && PARAMS[i].high == 1; }

/* First slot that is not a valid value (booleans must be exactly 0 or 1), or -1. */
static int invalid_param(void) {
    for (int i = 0; i < N_PARAMS; i++) {
        double v = params[i];
        if (!(v >= PARAMS[i].low && v <= PARAMS[i].high)) return i; /* also NaN */
        if (is_flag(i) && v != 0 && v != 1) return i;
    }
    return -1;
}

/* ---------------------------------------------------------------------------- coefficients */

static int rate;
static int ring_size; /* look-ahead + 1 */

static struct {
    double gain, gate_thr, gate_decay, gate_hold, gate_floor, gate_open, gate_close;
    double comp_lo, comp_hi, comp_decay, comp_attack, comp_slope, comp_t, comp_w, comp_step;
    double comp_hard_m, comp_knee_q, comp_makeup;
    double lim_ceil, lim_clamp, lim_decay;
    double bq[3][5]; /* b0, b1, b2, a1, a2 */
    int bypass, gate_on, comp_on, eq_on, lim_on, bq_on[3];
} k;

static double one_pole(double ms) { return host_exp(-1.0 / (ms * 1e-3 * rate)); }
static double db_to_amp(double db) { return host_pow(10.0, db / 20.0); }

static void rbj_biquad(double *out, int kind, double f0, double gain_db) {
    /* kind: 0 low shelf, 1 peaking bell, 2 high shelf (dsp.rbj_biquad) */
    double amp = host_pow(10.0, gain_db / 40.0);
    double w0 = 2.0 * PI * f0 / rate;
    double cw = host_cos(w0), sw = host_sin(w0);
    double b0, b1, b2, a0, a1, a2;
    if (kind == 1) {
        double alpha = sw / (2.0 * MID_BELL_Q);
        b0 = 1 + alpha * amp, b1 = -2 * cw, b2 = 1 - alpha * amp;
        a0 = 1 + alpha / amp, a1 = -2 * cw, a2 = 1 - alpha / amp;
    } else {
        double sq = __builtin_sqrt(2.0 * amp) * sw;
        double sign = kind == 0 ? 1.0 : -1.0;
        double p = amp + 1.0, m = amp - 1.0;
        b0 = amp * (p - sign * m * cw + sq);
        b1 = sign * 2 * amp * (m - sign * p * cw);
        b2 = amp * (p - sign * m * cw - sq);
        a0 = p + sign * m * cw + sq;
        a1 = -sign * 2 * (m + sign * p * cw);
        a2 = p + sign * m * cw - sq;
    }
    out[0] = b0 / a0, out[1] = b1 / a0, out[2] = b2 / a0, out[3] = a1 / a0, out[4] = a2 / a0;
}

/* The largest float32 at or under a positive value (dsp._largest_f32_at_most). */
static double largest_f32_at_most(double value) {
    float f = (float)value;
    if ((double)f > value) {
        union { float f; unsigned u; } bits = {f};
        bits.u -= 1; /* positive: one step towards zero */
        f = bits.f;
    }
    return (double)f;
}

static void compressor_coefficients(void) {
    double to_ln = host_log(10.0) / 20.0;
    double slope = 1.0 / params[P_COMP_RATIO] - 1.0;
    double t = params[P_COMP_THRESHOLD] * to_ln, w = params[P_COMP_KNEE] * to_ln;
    double step = 1.0 / (params[P_COMP_RELEASE] * 1e-3 * rate);
    k.comp_lo = host_exp(t - w / 2.0);
    k.comp_hi = host_exp(t + w / 2.0);
    k.comp_decay = host_exp(-step);
    k.comp_attack = one_pole(params[P_COMP_ATTACK]);
    k.comp_slope = slope, k.comp_t = t, k.comp_w = w, k.comp_step = step;
    k.comp_hard_m = host_exp(-slope * step);
    k.comp_knee_q = w > 0.0 ? host_exp(slope * step * step / w) : 1.0;
    k.comp_makeup = db_to_amp(params[P_COMP_MAKEUP]);
}

static void compute_coefficients(void) {
    k.bypass = params[P_BYPASS] != 0;
    k.gain = db_to_amp(params[P_GAIN]);
    k.gate_on = params[P_GATE_ON] != 0;
    k.gate_thr = db_to_amp(params[P_GATE_THRESHOLD]);
    k.gate_decay = one_pole(GATE_DETECTOR_MS);
    k.gate_hold = __builtin_rint(params[P_GATE_HOLD] * 1e-3 * rate); /* ties to even */
    k.gate_floor = db_to_amp(params[P_GATE_FLOOR]);
    k.gate_open = one_pole(params[P_GATE_ATTACK]);
    k.gate_close = one_pole(params[P_GATE_RELEASE]);
    k.comp_on = params[P_COMP_ON] != 0;
    compressor_coefficients();
    k.eq_on = params[P_EQ_ON] != 0;
    static const double f0[3] = {LOW_SHELF_HZ, MID_BELL_HZ, HIGH_SHELF_HZ};
    for (int i = 0; i < 3; i++) {
        double gain_db = params[P_EQ_LOW + i];
        k.bq_on[i] = gain_db != 0.0; /* a 0 dB band is an identity: skip it */
        rbj_biquad(k.bq[i], i, f0[i], gain_db);
    }
    k.lim_on = params[P_LIM_ON] != 0;
    k.lim_ceil = db_to_amp(params[P_LIM_CEILING]);
    k.lim_clamp = largest_f32_at_most(k.lim_ceil);
    k.lim_decay = one_pole(params[P_LIM_RELEASE]);
}

EXPORT(chain_configure) int chain_configure(void) {
    int bad = invalid_param();
    if (bad < 0) compute_coefficients();
    for (int i = 0; i < N_PARAMS; i++) { /* either way params end up as what is in force */
        if (bad < 0) applied[i] = params[i];
        else params[i] = applied[i];
    }
    return bad;
}

/* ---------------------------------------------------------------------------- state */

static struct {
    double g_env, g_gain, g_hold;
    double c_env, c_target, c_m, c_region, c_gain;
    double z[6];
    double cur, prev, deficit, total, count;
    int pos;
} s;
static double delay_line[MAX_RING], deficits[MAX_RING];

static float input[CHAIN_MAX_FRAME], output[CHAIN_MAX_FRAME];
static double meters[4];

EXPORT(chain_input) float *chain_input(void) { return input; }
EXPORT(chain_output) float *chain_output(void) { return output; }
EXPORT(chain_meters) double *chain_meters(void) { return meters; }
EXPORT(chain_latency) int chain_latency(void) { return ring_size - 1; }

EXPORT(chain_init) int chain_init(int sample_rate) {
    if (sample_rate < MIN_RATE || sample_rate > MAX_RATE) return -1;
    rate = sample_rate;
    ring_size = (int)__builtin_rint(LOOKAHEAD_MS * sample_rate / 1000) + 1;
    s = (__typeof__(s)){0};
    s.c_target = s.c_m = s.c_gain = s.cur = s.prev = 1.0; /* dsp.new_state() */
    for (int i = 0; i < MAX_RING; i++) delay_line[i] = deficits[i] = 0.0;
    for (int i = 0; i < N_PARAMS; i++) params[i] = applied[i] = PARAMS[i].fallback;
    compute_coefficients();
    return 0;
}

/* ---------------------------------------------------------------------------- kernel */

static double db(double value) {
    return value > 0.0 ? max_(20.0 * host_log10(value), METER_FLOOR_DB) : METER_FLOOR_DB;
}

static double flush(double v) { return fabs_(v) < DENORMAL ? 0.0 : v; }

static double gate(double v) {
    double a = fabs_(v), target;
    s.g_env = a > s.g_env ? a : s.g_env * k.gate_decay;
    if (s.g_env >= k.gate_thr) {
        s.g_hold = k.gate_hold, target = 1.0;
    } else if (s.g_hold > 0.0) {
        s.g_hold = s.g_hold - 1.0, target = 1.0;
    } else {
        target = k.gate_floor;
    }
    if (s.g_gain != target)
        s.g_gain = target + (target > s.g_gain ? k.gate_open : k.gate_close) * (s.g_gain - target);
    return v * s.g_gain;
}

/* Exact gain computer at env (dsp._static_gain): sets target, m, region. */
static void static_gain(double env) {
    if (env <= k.comp_lo) {
        s.c_target = 1.0, s.c_m = 1.0, s.c_region = 0.0;
        return;
    }
    double u = host_log(env) - k.comp_t;
    if (env > k.comp_hi) {
        s.c_target = host_exp(k.comp_slope * u), s.c_m = k.comp_hard_m, s.c_region = 2.0;
        return;
    }
    double slope = k.comp_slope, knee = k.comp_w, step = k.comp_step;
    u += knee / 2.0;
    double gr_next = slope * (step * step - 2.0 * u * step) / (2.0 * knee);
    s.c_target = host_exp(slope * u * u / (2.0 * knee)), s.c_m = host_exp(gr_next);
    s.c_region = 1.0;
}

static double compressor(double v) {
    double a = fabs_(v);
    if (a > s.c_env) {
        s.c_env = a;
        static_gain(s.c_env);
    } else {
        s.c_env *= k.comp_decay;
        if (s.c_region != 0.0) {
            double now = s.c_env > k.comp_hi ? 2.0 : (s.c_env > k.comp_lo ? 1.0 : 0.0);
            if (now != s.c_region) {
                static_gain(s.c_env);
            } else {
                s.c_target *= s.c_m;
                if (s.c_region == 1.0) s.c_m *= k.comp_knee_q;
            }
        }
    }
    s.c_gain = s.c_target < s.c_gain ? s.c_target + k.comp_attack * (s.c_gain - s.c_target)
                                     : s.c_target;
    return v * s.c_gain * k.comp_makeup;
}

static double biquad(double v, double *z, const double *b) {
    double y = b[0] * v + z[0];
    z[0] = (b[1] * v + z[1]) - b[3] * y;
    z[1] = b[2] * v - b[4] * y;
    return y;
}

static void bypass(int n) {
    double peak = 0.0, sumsq = 0.0;
    for (int i = 0; i < n; i++) {
        double v = input[i];
        output[i] = input[i];
        peak = max_(peak, fabs_(v));
        sumsq += v * v;
    }
    meters[0] = db(peak), meters[1] = db(__builtin_sqrt(sumsq / n));
    meters[2] = 0.0, meters[3] = 0.0;
}

EXPORT(chain_process) int chain_process(int n) {
    if (n < 1 || n > CHAIN_MAX_FRAME || rate == 0) return -1;
    for (int i = 0; i < n; i++)
        if (!finite_(input[i])) return -2; /* dsp.FrameError: state untouched */
    if (k.bypass) {
        bypass(n);
        return 0;
    }
    double peak = 0.0, sumsq = 0.0, comp_min = 1.0, lim_min = 1.0, inv_size = 1.0 / ring_size;
    for (int i = 0; i < n; i++) {
        double v = input[i] * k.gain;
        if (k.gate_on) v = gate(v);
        if (k.comp_on) {
            v = compressor(v);
            comp_min = min_(comp_min, s.c_gain);
        }
        if (k.eq_on)
            for (int b = 0; b < 3; b++)
                if (k.bq_on[b]) v = biquad(v, s.z + 2 * b, k.bq[b]);
        if (s.pos == 0) { /* block boundary: rotate the hold, flush denormals */
            s.prev = s.cur, s.cur = 1.0;
            s.g_env = flush(s.g_env), s.c_env = flush(s.c_env);
            for (int j = 0; j < 6; j++) s.z[j] = flush(s.z[j]);
        }
        int nxt = s.pos + 1 < ring_size ? s.pos + 1 : 0;
        double out = delay_line[nxt];
        delay_line[s.pos] = v;
        if (k.lim_on) {
            double a = fabs_(v);
            if (a > k.lim_ceil) s.cur = min_(s.cur, k.lim_ceil / a);
            double decayed = s.deficit * k.lim_decay;
            s.deficit = max_(1.0 - min_(s.cur, s.prev), decayed > DEFICIT_FLOOR ? decayed : 0.0);
            double old = deficits[s.pos];
            deficits[s.pos] = s.deficit;
            if (s.deficit != 0.0 || s.count != 0.0) {
                s.count += (double)(s.deficit != 0.0) - (double)(old != 0.0);
                s.total = s.count > 0.0 ? s.total + (s.deficit - old) : 0.0;
                double lim_gain = 1.0 - s.total * inv_size;
                lim_min = min_(lim_min, lim_gain);
                out = min_(max_(out * lim_gain, -k.lim_clamp), k.lim_clamp);
            }
        }
        s.pos = nxt;
        peak = max_(peak, fabs_(out));
        sumsq += out * out;
        output[i] = (float)out;
    }
    meters[0] = db(peak), meters[1] = db(__builtin_sqrt(sumsq / n));
    meters[2] = -db(comp_min) + 0.0, meters[3] = -db(lim_min) + 0.0; /* + 0.0: no -0.0 */
    return 0;
}
