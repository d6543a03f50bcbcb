// golden_driver: runs every maskrt CUDA kernel against the golden files that the Java tests use, prints one
// PASS/FAIL line per check and a summary, and optionally times the ops on the benchmark workloads (CUDA events).
//
//   /usr/bin/python3 tools/reference/export_npy.py src/test/resources/ops target/goldens
//   nvcc -std=c++17 -O2 -fmad=false -arch=native -Isrc/main/native src/main/native/test/golden_driver.cu \
//        src/main/native/*.cu -o target/golden_driver
//   target/golden_driver target/goldens [--time benchmarks/target/inputs-npy]
//
// The goldens are .npz archives written with numpy.savez_compressed; export_npy.py re-saves them as folders of
// plain .npy files, which this driver reads with the small reader below. Exit status: 0 all passed, 1 a check
// failed, 2 no usable device or unreadable input.
#include <cuda_runtime.h>
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "maskrt_cuda.h"
#include "maskrt_cuda_rpn.h"

namespace {

// ---- .npy reading ------------------------------------------------------------------------------------------

struct Array {
    std::string descr;  // "<f4", "<f8", "<i4", "|u1"
    std::vector<long long> shape;
    std::vector<unsigned char> bytes;

    size_t size() const {
        size_t n = 1;
        for (long long d : shape) n *= static_cast<size_t>(d);
        return n;
    }
    double at(size_t i) const {
        if (descr == "<f4") return floats()[i];
        if (descr == "<f8") return reinterpret_cast<const double*>(bytes.data())[i];
        if (descr == "<i4") return reinterpret_cast<const int*>(bytes.data())[i];
        if (descr == "|u1") return bytes[i];
        fprintf(stderr, "unsupported dtype %s\n", descr.c_str());
        exit(2);
    }
    const float* floats() const { return reinterpret_cast<const float*>(bytes.data()); }
    std::vector<float> f() const {
        std::vector<float> v(size());
        for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<float>(at(i));
        return v;
    }
    std::vector<int> i() const {
        std::vector<int> v(size());
        for (size_t k = 0; k < v.size(); k++) v[k] = static_cast<int>(at(k));
        return v;
    }
    double scalar() const { return at(0); }
};

bool read_npy(const std::string& path, Array& a) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    char magic[8];
    in.read(magic, 8);
    if (!in || memcmp(magic, "\x93NUMPY", 6) != 0) return false;
    uint32_t header_len = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char*>(b), 2);
        header_len = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        in.read(reinterpret_cast<char*>(b), 4);
        header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    }
    std::string header(header_len, ' ');
    in.read(&header[0], header_len);
    size_t d = header.find("'descr'");
    size_t q1 = header.find('\'', header.find(':', d) + 1);
    size_t q2 = header.find('\'', q1 + 1);
    a.descr = header.substr(q1 + 1, q2 - q1 - 1);
    if (a.descr == "|b1") a.descr = "|u1";
    if (header.find("'fortran_order': True") != std::string::npos) return false;
    size_t s = header.find('(', header.find("'shape'"));
    size_t e = header.find(')', s);
    a.shape.clear();
    std::string dims = header.substr(s + 1, e - s - 1);
    for (size_t p = 0; p < dims.size();) {
        while (p < dims.size() && (dims[p] == ' ' || dims[p] == ',')) p++;
        if (p >= dims.size()) break;
        a.shape.push_back(std::stoll(dims.substr(p)));
        while (p < dims.size() && dims[p] != ',') p++;
    }
    int item = a.descr == "<f8" ? 8 : a.descr == "|u1" ? 1 : 4;
    a.bytes.resize(a.size() * item);
    in.read(reinterpret_cast<char*>(a.bytes.data()), static_cast<std::streamsize>(a.bytes.size()));
    return static_cast<size_t>(in.gcount()) == a.bytes.size();
}

// All arrays of one exported archive folder, by name.
std::map<std::string, Array> read_archive(const std::string& dir) {
    std::map<std::string, Array> out;
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
        fprintf(stderr, "cannot open %s (export the goldens first, see README)\n", dir.c_str());
        exit(2);
    }
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) {
            Array a;
            if (!read_npy(dir + "/" + name, a)) {
                fprintf(stderr, "cannot read %s/%s\n", dir.c_str(), name.c_str());
                exit(2);
            }
            out[name.substr(0, name.size() - 4)] = std::move(a);
        }
    }
    closedir(d);
    return out;
}

// "<case>__<field>" arrays grouped per case.
std::map<std::string, std::map<std::string, Array>> read_cases(const std::string& dir) {
    std::map<std::string, std::map<std::string, Array>> cases;
    for (auto& kv : read_archive(dir)) {
        size_t split = kv.first.find("__");
        if (split == std::string::npos) continue;
        cases[kv.first.substr(0, split)][kv.first.substr(split + 2)] = kv.second;
    }
    return cases;
}

// ---- device helpers ----------------------------------------------------------------------------------------

cudaStream_t stream;

void check_status(maskrt_status st, const char* what) {
    if (st != MASKRT_OK) {
        fprintf(stderr, "%s failed: status %d, %s\n", what, st, maskrt_cuda_error_string(maskrt_last_cuda_error()));
        exit(1);
    }
}

struct Dev {
    void* p = nullptr;
    explicit Dev(size_t bytes) {
        if (bytes > 0 && cudaMalloc(&p, bytes) != cudaSuccess) {
            fprintf(stderr, "cudaMalloc(%zu) failed\n", bytes);
            exit(2);
        }
    }
    ~Dev() { cudaFree(p); }
    Dev(const Dev&) = delete;
    template <typename T>
    T* as() const { return static_cast<T*>(p); }
};

template <typename T>
Dev* upload(const std::vector<T>& v) {
    Dev* d = new Dev(v.size() * sizeof(T));
    if (!v.empty()) cudaMemcpyAsync(d->p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice, stream);
    return d;
}

template <typename T>
std::vector<T> download(const void* p, size_t n) {
    std::vector<T> v(n);
    if (n) cudaMemcpyAsync(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost, stream);
    cudaStreamSynchronize(stream);
    return v;
}

Dev* scratch(maskrt_status (*query)(int, size_t*), int n, size_t* bytes) {
    check_status(query(n, bytes), "scratch query");
    return new Dev(*bytes);
}

// ---- reporting ---------------------------------------------------------------------------------------------

int passed = 0, failed = 0;

void report(bool ok, const std::string& what, const std::string& detail = "") {
    (ok ? passed : failed)++;
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
}

// ---- ops ---------------------------------------------------------------------------------------------------

std::vector<int> run_nms(const std::vector<float>& boxes, const std::vector<float>& scores,
                         const std::vector<int>* groups, double threshold) {
    int n = static_cast<int>(scores.size());
    Dev *b = upload(boxes), *s = upload(scores), *g = groups ? upload(*groups) : nullptr;
    Dev keep(sizeof(int) * std::max(n, 1)), count(sizeof(int));
    size_t bytes;
    Dev* sc = scratch(maskrt_nms_scratch_bytes, n, &bytes);
    check_status(maskrt_nms(b->as<float>(), s->as<float>(), g ? g->as<int>() : nullptr, nullptr, n, threshold, -1,
                            keep.as<int>(), count.as<int>(), sc->p, bytes, stream),
                 "maskrt_nms");
    int kept = download<int>(count.p, 1)[0];
    std::vector<int> out = download<int>(keep.p, kept);
    delete b; delete s; delete g; delete sc;
    return out;
}

std::vector<int> run_topk(const std::vector<float>& scores, int k) {
    int n = static_cast<int>(scores.size());
    int m = std::min(n, k);
    Dev* s = upload(scores);
    Dev out(sizeof(int) * std::max(m, 1));
    size_t bytes;
    Dev* sc = scratch(maskrt_topk_scratch_bytes, n, &bytes);
    check_status(maskrt_topk(s->as<float>(), n, k, out.as<int>(), sc->p, bytes, stream), "maskrt_topk");
    std::vector<int> r = download<int>(out.p, m);
    delete s; delete sc;
    return r;
}

// The ranking key of the CPU ops (dev.maskrt.ops.cpu.ScoreOrder), for host references.
long long host_rank_key(float score, int index) {
    float s = score + 0.0f;
    int32_t bits;
    if (std::isnan(s)) bits = 0x7fc00000; else memcpy(&bits, &s, 4);
    int32_t monotonic = bits >= 0 ? bits : bits ^ 0x7fffffff;
    return (static_cast<long long>(~monotonic) << 32) | static_cast<uint32_t>(index);
}

std::string ulp_summary(const std::vector<float>& want, const std::vector<float>& got, int* worst_out) {
    int worst = 0;
    size_t exact = 0;
    for (size_t i = 0; i < want.size(); i++) {
        int32_t a, b;
        memcpy(&a, &want[i], 4);
        memcpy(&b, &got[i], 4);
        if (a == b || (want[i] == got[i])) { exact++; continue; }
        if (std::isnan(want[i]) && std::isnan(got[i])) { exact++; continue; }
        long long d = std::llabs(static_cast<long long>(a) - b);
        worst = static_cast<int>(std::min<long long>(std::max<long long>(worst, d), 1 << 30));
    }
    *worst_out = worst;
    return std::to_string(exact) + "/" + std::to_string(want.size()) + " exact, worst " + std::to_string(worst) + " ulp";
}

// ---- golden checks -----------------------------------------------------------------------------------------

void check_nms(const std::string& root) {
    for (auto& c : read_cases(root + "/boxes/nms")) {
        auto got = run_nms(c.second["boxes"].f(), c.second["scores"].f(), nullptr, c.second["threshold"].scalar());
        report(got == c.second["keep"].i(), "nms " + c.first);
    }
    for (auto& c : read_cases(root + "/boxes/batched_nms")) {
        std::vector<float> scores = c.second["scores"].f();
        std::vector<int> groups = c.second["groups"].i();
        auto got = run_nms(c.second["boxes"].f(), scores, &groups, c.second["threshold"].scalar());
        std::vector<int> a = got, b = c.second["vanilla"].i();
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        bool ranked = true;
        for (size_t k = 1; k < got.size(); k++) {
            ranked &= host_rank_key(scores[got[k - 1]], got[k - 1]) < host_rank_key(scores[got[k]], got[k]);
        }
        report(a == b && ranked, "batched_nms " + c.first, ranked ? "" : "not in ranking order");
    }
    for (auto& c : read_cases(root + "/boxes/topk")) {
        auto got = run_topk(c.second["scores"].f(), static_cast<int>(c.second["k"].scalar()));
        report(got == c.second["stable"].i(), "topk " + c.first);
    }
}

void check_boxes(const std::string& root) {
    for (auto& c : read_cases(root + "/boxes/deltas")) {
        std::vector<float> deltas = c.second["deltas"].f(), boxes = c.second["boxes"].f(), w = c.second["weights"].f();
        int n = static_cast<int>(boxes.size() / 4);
        Dev *d = upload(deltas), *b = upload(boxes), out(sizeof(float) * std::max(4 * n, 1));
        check_status(maskrt_apply_deltas(d->as<float>(), b->as<float>(), n, w[0], w[1], w[2], w[3],
                                         static_cast<float>(c.second["scale_clamp"].scalar()), -1, -1,
                                         out.as<float>(), stream),
                     "maskrt_apply_deltas");
        std::vector<float> got = download<float>(out.p, 4 * n);
        int worst;
        std::string s = ulp_summary(c.second["out"].f(), got, &worst);
        // torch's vectorised exp may differ by 1 ulp from the correctly rounded one (see BoxTransform's javadoc)
        report(worst <= 4, "apply_deltas " + c.first, s);
        delete d; delete b;
    }
    for (auto& c : read_cases(root + "/boxes/clip")) {
        std::vector<float> boxes = c.second["boxes"].f();
        int n = static_cast<int>(boxes.size() / 4);
        Dev* b = upload(boxes);
        Dev keep(std::max(n, 1));
        if (c.first == "finite") {
            Dev* s = upload(c.second["scores"].f());
            check_status(maskrt_box_filter(b->as<float>(), s->as<float>(), n, 1, -1.0f, keep.as<uint8_t>(), stream),
                         "maskrt_box_filter");
            std::vector<uint8_t> flags = download<uint8_t>(keep.p, n);
            std::vector<int> idx;
            for (int i = 0; i < n; i++) if (flags[i]) idx.push_back(i);
            report(idx == c.second["keep"].i(), "finite");
            delete s; delete b;
            continue;
        }
        std::vector<int> size = c.second["size"].i();
        check_status(maskrt_clip_boxes(b->as<float>(), n, size[0], size[1], stream), "maskrt_clip_boxes");
        std::vector<float> got = download<float>(b->p, 4 * n), want = c.second["clipped"].f();
        bool same = true;
        for (size_t i = 0; i < want.size(); i++) same &= want[i] == got[i];
        report(same, "clip " + c.first);
        for (int t = 0; t < 3; t++) {
            std::string key = "nonempty" + std::to_string(t);
            check_status(maskrt_box_filter(b->as<float>(), nullptr, n, 0, static_cast<float>(c.second[key + "_threshold"].scalar()),
                                           keep.as<uint8_t>(), stream),
                         "maskrt_box_filter");
            std::vector<uint8_t> flags = download<uint8_t>(keep.p, n);
            std::vector<int> idx;
            for (int i = 0; i < n; i++) if (flags[i]) idx.push_back(i);
            report(idx == c.second[key].i(), "nonempty " + c.first + " " + key);
        }
        delete b;
    }
}

// Host reference of maskrt_rpn_level: the CPU ops' stable ranking and detectron2's decode in float32.
void check_rpn_level() {
    const int H = 20, W = 30, A = 3, stride = 8, k = 1000;
    uint64_t state = 12345;
    auto next = [&]() { state = state * 6364136223846793005ULL + 1442695040888963407ULL; return static_cast<float>((state >> 40) & 0xffffff) / 16777216.0f; };
    std::vector<float> logits(A * H * W), deltas(A * 4 * H * W), cell;
    for (float& v : logits) v = std::floor(next() * 64.0f) / 8.0f;  // many ties
    for (float& v : deltas) v = (next() - 0.5f) * 2.0f;
    double ratios[3] = {0.5, 1.0, 2.0};
    for (double r : ratios) {
        double w = std::sqrt(32.0 * 32.0 / r), h = r * w;
        cell.push_back(static_cast<float>(-w / 2)); cell.push_back(static_cast<float>(-h / 2));
        cell.push_back(static_cast<float>(w / 2)); cell.push_back(static_cast<float>(h / 2));
    }
    int n = A * H * W;
    std::vector<float> scores(n);
    for (int i = 0; i < n; i++) scores[i] = logits[(i % A) * H * W + i / A];
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return host_rank_key(scores[a], a) < host_rank_key(scores[b], b); });
    float clamp = static_cast<float>(std::log(1000.0 / 16));
    std::vector<float> want;
    for (int j = 0; j < k; j++) {
        int idx = order[j], a = idx % A, x = (idx / A) % W, y = idx / A / W;
        float sx = static_cast<float>(0.0 + static_cast<double>(stride) * x), sy = static_cast<float>(0.0 + static_cast<double>(stride) * y);
        float x0 = sx + cell[4 * a], y0 = sy + cell[4 * a + 1], x1 = sx + cell[4 * a + 2], y1 = sy + cell[4 * a + 3];
        float d[4];
        for (int c = 0; c < 4; c++) d[c] = deltas[(a * 4 + c) * H * W + y * W + x];
        volatile float width = x1 - x0, height = y1 - y0;
        volatile float cx = x0 + 0.5f * width, cy = y0 + 0.5f * height;
        float dw = std::min(d[2], clamp), dh = std::min(d[3], clamp);
        volatile float px = d[0] * width + cx, py = d[1] * height + cy;
        volatile float pw = static_cast<float>(std::exp(static_cast<double>(dw))) * width;
        volatile float ph = static_cast<float>(std::exp(static_cast<double>(dh))) * height;
        want.push_back(px - 0.5f * pw); want.push_back(py - 0.5f * ph);
        want.push_back(px + 0.5f * pw); want.push_back(py + 0.5f * ph);
    }
    Dev *dl = upload(logits), *dd = upload(deltas), *dc = upload(cell);
    Dev ob(sizeof(float) * 4 * k), os(sizeof(float) * k), ol(sizeof(int) * k);
    size_t bytes;
    Dev* sc = scratch(maskrt_rpn_level_scratch_bytes, n, &bytes);
    check_status(maskrt_rpn_level(dl->as<float>(), dd->as<float>(), H, W, A, dc->as<float>(), stride, 0.0, k, clamp, 3,
                                  ob.as<float>(), os.as<float>(), ol.as<int>(), sc->p, bytes, stream),
                 "maskrt_rpn_level");
    std::vector<float> got = download<float>(ob.p, 4 * k), got_scores = download<float>(os.p, k);
    std::vector<int> levels = download<int>(ol.p, k);
    int worst;
    std::string s = ulp_summary(want, got, &worst);
    bool scores_ok = true;
    for (int j = 0; j < k; j++) scores_ok &= got_scores[j] == scores[order[j]] && levels[j] == 3;
    report(worst <= 1 && scores_ok, "rpn_level top-1000 of 1800 (host reference)", s);
    delete dl; delete dd; delete dc; delete sc;
}

struct Pyramid {
    std::vector<Dev*> maps;
    std::vector<int> heights, widths;
    std::vector<float> scales;
    int batch = 0, channels = 0;
    ~Pyramid() { for (Dev* d : maps) delete d; }
};

void add_level(Pyramid& p, const Array& a, float scale) {
    p.maps.push_back(upload(a.f()));
    p.batch = static_cast<int>(a.shape[0]);
    p.channels = static_cast<int>(a.shape[1]);
    p.heights.push_back(static_cast<int>(a.shape[2]));
    p.widths.push_back(static_cast<int>(a.shape[3]));
    p.scales.push_back(scale);
}

std::vector<float> run_roi_align(const Pyramid& p, int min_level, const std::vector<float>& rois,
                                 const std::vector<int>& batch, const std::vector<int>& params,
                                 maskrt_level_formula formula, int ref_size, int ref_level, float eps) {
    int n = static_cast<int>(rois.size() / 4);
    size_t total = static_cast<size_t>(n) * p.channels * params[0] * params[1];
    Dev *r = upload(rois), *b = upload(batch), out(sizeof(float) * std::max<size_t>(total, 1));
    std::vector<const float*> levels;
    for (Dev* d : p.maps) levels.push_back(d->as<float>());
    check_status(maskrt_roi_align(levels.data(), p.heights.data(), p.widths.data(), p.scales.data(),
                                  static_cast<int>(levels.size()), min_level, p.batch, p.channels, r->as<float>(),
                                  b->as<int>(), n, params[0], params[1], params[2], params[3], formula, ref_size,
                                  ref_level, eps, out.as<float>(), stream),
                 "maskrt_roi_align");
    std::vector<float> got = download<float>(out.p, total);
    delete r; delete b;
    return got;
}

void report_close(const std::vector<float>& want, const std::vector<float>& got, const std::string& what) {
    double worst = 0;
    bool ok = want.size() == got.size();
    for (size_t i = 0; ok && i < want.size(); i++) {
        double d = std::fabs(static_cast<double>(got[i]) - want[i]);
        worst = std::max(worst, d);
        ok &= d <= 1e-5 + 1e-5 * std::fabs(want[i]);
    }
    report(ok, what, "max abs diff " + std::to_string(worst));
}

void check_roi_align(const std::string& root) {
    auto single = read_archive(root + "/roialign/single");
    Pyramid one;
    add_level(one, single["features"], static_cast<float>(single["spatial_scale"].scalar()));
    for (auto& kv : single) {
        const std::string& key = kv.first;
        if (key.size() < 7 || key.compare(key.size() - 7, 7, "_params") != 0) continue;
        std::string name = key.substr(0, key.size() - 7);
        auto got = run_roi_align(one, 0, single["rois"].f(), single["batch_index"].i(), kv.second.i(),
                                 MASKRT_LEVELS_DETECTRON2, 224, 4, 1e-8f);
        report_close(single[name + "_out"].f(), got, "roi_align single " + name);
    }
    auto multi = read_archive(root + "/roialign/multi");
    Pyramid fpn;
    for (int l = 0; l < 4; l++) add_level(fpn, multi["p" + std::to_string(l + 2)], 1.0f / static_cast<float>(4 << l));
    std::vector<float> rois = multi["rois"].f();
    std::vector<int> batch = multi["batch_index"].i();
    for (const char* name : {"d2_legacy_7", "d2_legacy_14", "d2_recent_7", "d2_recent_14", "d2_legacy_s2"}) {
        float eps = std::string(name).find("recent") != std::string::npos ? static_cast<float>(2.220446049250313e-16) : 1e-8f;
        auto got = run_roi_align(fpn, 2, rois, batch, multi[std::string(name) + "_params"].i(), MASKRT_LEVELS_DETECTRON2,
                                 224, 4, eps);
        report_close(multi[std::string(name) + "_out"].f(), got, std::string("roi_align multi ") + name);
    }
    auto got = run_roi_align(fpn, 2, rois, batch, {7, 7, 0, 1}, MASKRT_LEVELS_MMDETECTION, 56, 0, 1e-6f);
    report_close(multi["mm_7_out"].f(), got, "roi_align multi mm_7");
    std::vector<int> order = multi["tv_order"].i();
    std::vector<float> tv_rois(rois.size());
    std::vector<int> tv_batch(batch.size());
    for (size_t j = 0; j < order.size(); j++) {
        std::copy(rois.begin() + 4 * order[j], rois.begin() + 4 * order[j] + 4, tv_rois.begin() + 4 * j);
        tv_batch[j] = batch[order[j]];
    }
    for (const char* name : {"tv_s0", "tv_s2"}) {
        auto out = run_roi_align(fpn, 2, tv_rois, tv_batch, multi[std::string(name) + "_params"].i(),
                                 MASKRT_LEVELS_TORCHVISION, 224, 4, 1e-6f);
        report_close(multi[std::string(name) + "_out"].f(), out, std::string("roi_align multi ") + name);
    }
}

struct Pasted {
    int n = 0, height = 0, width = 0;
    Dev *hulls = nullptr, *offsets = nullptr, *bits = nullptr;
    ~Pasted() { delete hulls; delete offsets; delete bits; }
};

void run_paste(Pasted& p, const std::vector<float>& masks, int mh, int mw, const std::vector<float>& boxes, int H,
               int W, float threshold) {
    p.n = static_cast<int>(boxes.size() / 4);
    p.height = H;
    p.width = W;
    Dev *m = upload(masks), *b = upload(boxes);
    p.hulls = new Dev(sizeof(int) * 4 * std::max(p.n, 1));
    p.offsets = new Dev(sizeof(int64_t) * (p.n + 1));
    size_t bytes;
    Dev* sc = scratch(maskrt_paste_scratch_bytes, p.n, &bytes);
    check_status(maskrt_paste_layout(b->as<float>(), p.n, H, W, p.hulls->as<int>(), p.offsets->as<int64_t>(), sc->p,
                                     bytes, stream),
                 "maskrt_paste_layout");
    int64_t total = download<int64_t>(p.offsets->as<int64_t>() + p.n, 1)[0];
    p.bits = new Dev(static_cast<size_t>(total));
    check_status(maskrt_paste_masks(m->as<float>(), mh, mw, b->as<float>(), p.n, p.hulls->as<int>(),
                                    p.offsets->as<int64_t>(), threshold, p.bits->as<uint8_t>(), stream),
                 "maskrt_paste_masks");
    cudaStreamSynchronize(stream);
    delete m; delete b; delete sc;
}

// Host RLE of one instance's full-image bitmap: Kaggle pairs (1-indexed) and COCO counts.
void host_rle(const std::vector<uint8_t>& full, int H, int W, bool column_major, std::vector<int>& kaggle,
              std::vector<int>& coco) {
    kaggle.clear();
    coco.clear();
    int total = H * W, run = 0;
    uint8_t previous = 0;
    for (int p = 0; p < total; p++) {
        int y = column_major ? p % H : p / W, x = column_major ? p / H : p % W;
        uint8_t v = full[static_cast<size_t>(y) * W + x];
        if (v != previous) {
            coco.push_back(run);
            run = 0;
            previous = v;
        }
        if (v && (p == 0 || kaggle.empty() || kaggle[kaggle.size() - 2] + kaggle.back() - 1 != p)) {
            kaggle.push_back(p + 1);
            kaggle.push_back(0);
        }
        if (v) kaggle.back()++;
        run++;
    }
    coco.push_back(run);
}

void check_rle(const Pasted& p, const std::string& name) {
    std::vector<int> hulls = download<int>(p.hulls->p, 4 * p.n);
    std::vector<int64_t> offsets = download<int64_t>(p.offsets->p, p.n + 1);
    std::vector<uint8_t> bits = download<uint8_t>(p.bits->p, offsets[p.n]);
    for (int order = 0; order < 2; order++) {
        Dev kaggle_offsets(8 * (p.n + 1)), coco_offsets(8 * (p.n + 1));
        size_t bytes;
        Dev* sc = scratch(maskrt_rle_scratch_bytes, p.n, &bytes);
        check_status(maskrt_rle_count(p.bits->as<uint8_t>(), p.hulls->as<int>(), p.offsets->as<int64_t>(), p.n,
                                      p.height, p.width, static_cast<maskrt_pixel_order>(order),
                                      kaggle_offsets.as<int64_t>(), coco_offsets.as<int64_t>(), sc->p, bytes, stream),
                     "maskrt_rle_count");
        std::vector<int64_t> ko = download<int64_t>(kaggle_offsets.p, p.n + 1);
        std::vector<int64_t> co = download<int64_t>(coco_offsets.p, p.n + 1);
        Dev kaggle(4 * std::max<int64_t>(ko[p.n], 1)), coco(4 * std::max<int64_t>(co[p.n], 1));
        check_status(maskrt_rle_encode(p.bits->as<uint8_t>(), p.hulls->as<int>(), p.offsets->as<int64_t>(), p.n,
                                       p.height, p.width, static_cast<maskrt_pixel_order>(order),
                                       kaggle_offsets.as<int64_t>(), kaggle.as<int>(), coco_offsets.as<int64_t>(),
                                       coco.as<int>(), stream),
                     "maskrt_rle_encode");
        std::vector<int> k_all = download<int>(kaggle.p, ko[p.n]), c_all = download<int>(coco.p, co[p.n]);
        bool ok = true;
        std::vector<uint8_t> full(static_cast<size_t>(p.height) * p.width);
        std::vector<int> want_k, want_c;
        for (int i = 0; i < p.n && ok; i++) {
            std::fill(full.begin(), full.end(), 0);
            int hx = hulls[4 * i], hy = hulls[4 * i + 1], hw = hulls[4 * i + 2], hh = hulls[4 * i + 3];
            for (int r = 0; r < hh; r++)
                for (int c = 0; c < hw; c++) full[static_cast<size_t>(hy + r) * p.width + hx + c] = bits[offsets[i] + r * hw + c];
            host_rle(full, p.height, p.width, order == 1, want_k, want_c);
            ok &= std::vector<int>(k_all.begin() + ko[i], k_all.begin() + ko[i + 1]) == want_k;
            if (order == 1) ok &= std::vector<int>(c_all.begin() + co[i], c_all.begin() + co[i + 1]) == want_c;
        }
        report(ok, "rle " + name + (order ? " column-major (Kaggle + COCO counts)" : " row-major (Kaggle)"));
        delete sc;
    }
}

void check_paste(const std::string& root) {
    for (const char* name : {"small_nasty", "small_shift1", "small_shift2", "small_shift3", "small_threshold_0",
                             "small_threshold_0_3", "small_threshold_1", "nonsquare_14x28", "nonsquare_28x14",
                             "nonsquare_1x1", "nonsquare_3x7", "image_1x1", "large_1040x1408", "empty"}) {
        auto a = read_archive(root + "/paste/" + name);
        std::vector<int> size = a["image_size"].i();
        Pasted p;
        run_paste(p, a["masks"].f(), static_cast<int>(a["masks"].shape[1]), static_cast<int>(a["masks"].shape[2]),
                  a["boxes"].f(), size[0], size[1], static_cast<float>(a["threshold"].scalar()));
        std::vector<int> hulls = download<int>(p.hulls->p, 4 * p.n), want_hulls = a["hulls"].i();
        std::vector<int64_t> offsets = download<int64_t>(p.offsets->p, p.n + 1);
        std::vector<uint8_t> bits = download<uint8_t>(p.bits->p, offsets[p.n]);
        const Array& packed = a["bits"];
        bool ok = true;
        long long bit = 0, wrong = 0;
        for (int i = 0; i < p.n && ok; i++) {
            int w = want_hulls[4 * i + 2] - want_hulls[4 * i], h = want_hulls[4 * i + 3] - want_hulls[4 * i + 1];
            if (w <= 0 || h <= 0) {
                ok &= hulls[4 * i + 2] * hulls[4 * i + 3] == 0;
                continue;
            }
            ok &= hulls[4 * i] == want_hulls[4 * i] && hulls[4 * i + 1] == want_hulls[4 * i + 1]
                  && hulls[4 * i + 2] == w && hulls[4 * i + 3] == h;
            for (long long k = 0; ok && k < static_cast<long long>(w) * h; k++, bit++) {
                bool expected = (packed.bytes[bit >> 3] >> (7 - (bit & 7))) & 1;
                if ((bits[offsets[i] + k] != 0) != expected) wrong++;
            }
        }
        report(ok && wrong == 0, std::string("paste ") + name, wrong ? std::to_string(wrong) + " pixels differ" : "");
        if (std::string(name) == "large_1040x1408" || std::string(name) == "small_nasty") check_rle(p, name);
    }
}

// ---- timing ------------------------------------------------------------------------------------------------

float time_ms(const std::function<void()>& op, int warmup = 5, int runs = 25) {
    for (int i = 0; i < warmup; i++) op();
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    std::vector<float> ms;
    for (int i = 0; i < runs; i++) {
        cudaEventRecord(start, stream);
        op();
        cudaEventRecord(stop, stream);
        cudaEventSynchronize(stop);
        float t;
        cudaEventElapsedTime(&t, start, stop);
        ms.push_back(t);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

void print_time(const std::string& workload, const char* what, float ms) {
    printf("{\"workload\": \"%s\", \"impl\": \"maskrt CUDA %s\", \"ms\": %.4f}\n", workload.c_str(), what, ms);
}

void time_workloads(const std::string& dir) {
    for (const char* name : {"nms_1000", "nms_4000", "batched_nms_4000"}) {
        auto a = read_archive(dir + "/" + name);
        std::vector<float> boxes = a["boxes"].f(), scores = a["scores"].f();
        std::vector<int> groups = a["groups"].i();
        int n = static_cast<int>(scores.size());
        bool batched = std::string(name).rfind("batched", 0) == 0;
        Dev *b = upload(boxes), *s = upload(scores), *g = upload(groups), keep(4 * n), count(4);
        size_t bytes;
        Dev* sc = scratch(maskrt_nms_scratch_bytes, n, &bytes);
        double thr = a["iou_threshold"].scalar();
        print_time(name, "maskrt_nms (sort + mask + greedy on device)", time_ms([&] {
            maskrt_nms(b->as<float>(), s->as<float>(), batched ? g->as<int>() : nullptr, nullptr, n, thr, -1,
                       keep.as<int>(), count.as<int>(), sc->p, bytes, stream);
        }));
        delete b; delete s; delete g; delete sc;
    }
    for (const char* name : {"roialign_ml_1000x7", "roialign_ml_100x14"}) {
        auto a = read_archive(dir + "/" + name);
        Pyramid fpn;
        for (int l = 0; l < 4; l++) add_level(fpn, a["p" + std::to_string(l + 2)], 1.0f / static_cast<float>(4 << l));
        std::vector<float> rois = a["rois"].f();
        int n = static_cast<int>(rois.size() / 4), out_size = static_cast<int>(a["output_size"].scalar());
        Dev *r = upload(rois), *bi = upload(a["batch_index"].i());
        Dev out(sizeof(float) * n * fpn.channels * out_size * out_size);
        std::vector<const float*> levels;
        for (Dev* d : fpn.maps) levels.push_back(d->as<float>());
        print_time(name, "maskrt_roi_align (multi-level)", time_ms([&] {
            maskrt_roi_align(levels.data(), fpn.heights.data(), fpn.widths.data(), fpn.scales.data(), 4, 2, fpn.batch,
                             fpn.channels, r->as<float>(), bi->as<int>(), n, out_size, out_size, 0, 1,
                             MASKRT_LEVELS_DETECTRON2, 224, 4, 1e-8f, out.as<float>(), stream);
        }));
        delete r; delete bi;
    }
    for (const char* name : {"paste_100_1040x1408", "paste_100_520x704"}) {
        auto a = read_archive(dir + "/" + name);
        std::vector<int> size = a["image_size"].i();
        std::vector<float> boxes = a["boxes"].f();
        int n = static_cast<int>(boxes.size() / 4);
        Dev *m = upload(a["masks"].f()), *b = upload(boxes), hulls(16 * n), offsets(8 * (n + 1));
        Dev bits(static_cast<size_t>(n) * size[0] * size[1]);  // upper bound: no host read of the total needed
        size_t bytes;
        Dev* sc = scratch(maskrt_paste_scratch_bytes, n, &bytes);
        float thr = static_cast<float>(a["threshold"].scalar());
        print_time(name, "maskrt_paste_layout + maskrt_paste_masks", time_ms([&] {
            maskrt_paste_layout(b->as<float>(), n, size[0], size[1], hulls.as<int>(), offsets.as<int64_t>(), sc->p,
                                bytes, stream);
            maskrt_paste_masks(m->as<float>(), static_cast<int>(a["masks"].shape[1]),
                               static_cast<int>(a["masks"].shape[2]), b->as<float>(), n, hulls.as<int>(),
                               offsets.as<int64_t>(), thr, bits.as<uint8_t>(), stream);
        }));
        delete m; delete b; delete sc;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s GOLDENS_NPY_DIR [--time BENCH_INPUTS_NPY_DIR | --check-files]\n", argv[0]);
        return 2;
    }
    if (argc >= 3 && std::string(argv[2]) == "--check-files") {
        // no device needed: reads every golden folder, to check the export and this reader
        size_t arrays = 0, values = 0;
        for (const char* dir : {"boxes/nms", "boxes/batched_nms", "boxes/topk", "boxes/deltas", "boxes/clip",
                                "roialign/single", "roialign/multi", "paste/large_1040x1408", "paste/small_nasty"}) {
            for (auto& kv : read_archive(std::string(argv[1]) + "/" + dir)) {
                arrays++;
                values += kv.second.size();
            }
        }
        auto nms = read_cases(std::string(argv[1]) + "/boxes/nms");
        printf("read %zu arrays, %zu values; nms cases %zu\n", arrays, values, nms.size());
        return arrays > 0 ? 0 : 2;
    }
    int devices = 0;
    if (maskrt_device_count(&devices) != MASKRT_OK || devices < 1) {
        fprintf(stderr, "no usable CUDA device: %s\n", maskrt_cuda_error_string(maskrt_last_cuda_error()));
        return 2;
    }
    char name[256];
    int major = 0, minor = 0;
    maskrt_device_name(0, name, sizeof name, &major, &minor);
    printf("device 0: %s (sm_%d%d)\n", name, major, minor);
    cudaStreamCreate(&stream);
    std::string root = argv[1];
    check_nms(root);
    check_boxes(root);
    check_rpn_level();
    check_roi_align(root);
    check_paste(root);
    printf("%d passed, %d failed\n", passed, failed);
    if (argc >= 4 && std::string(argv[2]) == "--time") time_workloads(argv[3]);
    cudaStreamDestroy(stream);
    return failed == 0 ? 0 : 1;
}
