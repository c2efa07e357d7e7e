#include "report/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/html_escape.h"

namespace capsfusion::report {

namespace {

std::string Fmt(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

// A round step so that `max` spans about `ticks` steps.
double NiceStep(double max, int ticks) {
  if (max <= 0) return 1;
  const double raw = max / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return std::max(1.0, nice * mag);
}

std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Short(uint64_t v) {
  char buf[32];
  if (v >= 10000000) {
    std::snprintf(buf, sizeof buf, "%.0fM", v / 1e6);
  } else if (v >= 1000000) {
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  } else if (v >= 10000) {
    std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  }
  return buf;
}

}  // namespace

std::string GroupedInt(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * share);
  return buf;
}

std::string HistogramSvg(const std::vector<StatsBin>& bins, const std::string& color, const std::string& x_label,
                         bool integer_bins) {
  const double W = 440, H = 210, left = 48, right = 10, top = 12, bottom = 40;
  const double pw = W - left - right, ph = H - top - bottom;
  std::string s = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + Px(W) + " " + Px(H) + "\" width=\"" + Px(W) +
                  "\" height=\"" + Px(H) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  s += "<title>" + HtmlEscape(x_label) + " histogram</title>";
  uint64_t max = 0;
  for (const auto& b : bins) max = std::max(max, b.count);
  const double step = NiceStep(static_cast<double>(max), 4);
  const double top_value = std::max(step, std::ceil(max / step) * step);
  // Grid lines and y labels.
  for (double v = 0; v <= top_value + 1e-9; v += step) {
    const double y = top + ph - ph * v / top_value;
    s += "<line class=\"grid\" x1=\"" + Px(left) + "\" x2=\"" + Px(W - right) + "\" y1=\"" + Px(y) + "\" y2=\"" +
         Px(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + Px(left - 6) + "\" y=\"" + Px(y + 4) + "\" text-anchor=\"end\">" +
         Short(static_cast<uint64_t>(v)) + "</text>";
  }
  if (!bins.empty()) {
    const double bw = pw / bins.size();
    const size_t label_every = std::max<size_t>(1, (bins.size() + 7) / 8);
    for (size_t i = 0; i < bins.size(); ++i) {
      const auto& b = bins[i];
      const double h = top_value > 0 ? ph * b.count / top_value : 0;
      const double x = left + bw * i;
      std::string range = integer_bins ? (b.hi - b.lo <= 1 ? Fmt(b.lo) : Fmt(b.lo) + "–" + Fmt(b.hi - 1))
                                       : Fmt(b.lo) + "–" + Fmt(b.hi);
      s += "<rect class=\"bar\" x=\"" + Px(x + 0.5) + "\" y=\"" + Px(top + ph - h) + "\" width=\"" +
           Px(std::max(1.0, bw - 1)) + "\" height=\"" + Px(std::max(h, b.count ? 1.0 : 0.0)) + "\" fill=\"" +
           HtmlEscape(color) + "\"><title>" + HtmlEscape(x_label) + " " + range + ": " + GroupedInt(b.count) +
           "</title></rect>";
      if (i % label_every == 0) {
        s += "<text class=\"tick\" x=\"" + Px(x + bw / 2) + "\" y=\"" + Px(top + ph + 14) +
             "\" text-anchor=\"middle\">" + Fmt(b.lo) + "</text>";
      }
    }
  }
  s += "<line class=\"axis\" x1=\"" + Px(left) + "\" x2=\"" + Px(W - right) + "\" y1=\"" + Px(top + ph) + "\" y2=\"" +
       Px(top + ph) + "\"/>";
  s += "<text class=\"label\" x=\"" + Px(left + pw / 2) + "\" y=\"" + Px(H - 6) + "\" text-anchor=\"middle\">" +
       HtmlEscape(x_label) + "</text></svg>";
  return s;
}

std::string HorizontalBarsSvg(const std::vector<BarItem>& bars, const std::string& color, double max_value) {
  const double W = 460, row = 20, label_w = 190, note_w = 64, top = 4;
  const double H = top * 2 + row * std::max<size_t>(1, bars.size());
  double max = max_value;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string s = "<svg class=\"chart bars\" role=\"img\" viewBox=\"0 0 " + Px(W) + " " + Px(H) + "\" width=\"" +
                  Px(W) + "\" height=\"" + Px(H) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  const double bw = W - label_w - note_w - 8;
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = top + row * i;
    std::string label = b.label.size() > 32 ? b.label.substr(0, 30) + "…" : b.label;
    // Cutting may split a UTF-8 character: HtmlEscape turns the stray bytes into U+FFFD.
    s += "<text class=\"tick\" x=\"" + Px(label_w - 6) + "\" y=\"" + Px(y + row * 0.68) + "\" text-anchor=\"end\">" +
         HtmlEscape(label) + "</text>";
    const double w = max > 0 ? bw * b.value / max : 0;
    s += "<rect class=\"bar\" x=\"" + Px(label_w) + "\" y=\"" + Px(y + 3) + "\" width=\"" + Px(std::max(w, 1.0)) +
         "\" height=\"" + Px(row - 6) + "\" fill=\"" + HtmlEscape(b.color.empty() ? color : b.color) + "\"><title>" +
         HtmlEscape(b.label) + ": " + HtmlEscape(b.note) + "</title></rect>";
    s += "<text class=\"note\" x=\"" + Px(label_w + w + 5) + "\" y=\"" + Px(y + row * 0.68) + "\">" +
         HtmlEscape(b.note) + "</text>";
  }
  s += "</svg>";
  return s;
}

std::string StackedSharesSvg(const std::vector<ShareRow>& rows) {
  const double W = 900, row = 30, label_w = 170, top = 34;
  const double H = top + row * std::max<size_t>(1, rows.size()) + 6;
  std::string s = "<svg class=\"chart shares\" role=\"img\" viewBox=\"0 0 " + Px(W) + " " + Px(H) + "\" width=\"" +
                  Px(W) + "\" height=\"" + Px(H) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  // Legend from the first row's segments.
  if (!rows.empty()) {
    double x = label_w;
    for (const auto& seg : rows[0].segments) {
      s += "<rect x=\"" + Px(x) + "\" y=\"8\" width=\"12\" height=\"12\" rx=\"2\" fill=\"" + HtmlEscape(seg.color) +
           "\"/><text class=\"tick\" x=\"" + Px(x + 16) + "\" y=\"18\">" + HtmlEscape(seg.label) + "</text>";
      x += 26 + 6.0 * seg.label.size();
    }
  }
  const double bw = W - label_w - 10;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row * i;
    s += "<text class=\"tick\" x=\"" + Px(label_w - 8) + "\" y=\"" + Px(y + row * 0.6) + "\" text-anchor=\"end\">" +
         HtmlEscape(rows[i].label) + "</text>";
    double total = 0;
    for (const auto& seg : rows[i].segments) total += seg.value;
    double x = label_w;
    for (const auto& seg : rows[i].segments) {
      const double share = total > 0 ? seg.value / total : 0;
      const double w = bw * share;
      if (w <= 0) continue;
      s += "<rect class=\"seg\" x=\"" + Px(x) + "\" y=\"" + Px(y + 4) + "\" width=\"" + Px(w) + "\" height=\"" +
           Px(row - 8) + "\" fill=\"" + HtmlEscape(seg.color) + "\"><title>" + HtmlEscape(rows[i].label) + ", " +
           HtmlEscape(seg.label) + ": " + Percent(share) + "</title></rect>";
      if (w > 34) {
        s += "<text class=\"inbar\" x=\"" + Px(x + w / 2) + "\" y=\"" + Px(y + row * 0.62) +
             "\" text-anchor=\"middle\">" + Percent(share) + "</text>";
      }
      x += w;
    }
  }
  s += "</svg>";
  return s;
}

}  // namespace capsfusion::report
