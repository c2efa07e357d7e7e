// Inline SVG charts for the stats report: histograms, horizontal bar charts
// and stacked share bars. Every label is HTML-escaped; the charts need no
// script and no external resource. Internal to src/report.
#pragma once

#include <string>
#include <vector>

#include "capsfusion/caption_stats.h"

namespace capsfusion::report {

//! Vertical bars over value ranges; `x_label` names the measured quantity.
//! Integer bins (lengths) are labelled by their first value.
std::string HistogramSvg(const std::vector<StatsBin>& bins, const std::string& color, const std::string& x_label,
                         bool integer_bins);

//! One labelled horizontal bar.
struct BarItem {
  std::string label;
  double value = 0;
  std::string note;   //!< text after the bar ("1,234" or "45.6%")
  std::string color;  //!< empty: the chart's colour
};

//! Horizontal bars, longest first as given; `max_value` 0 scales to the largest.
std::string HorizontalBarsSvg(const std::vector<BarItem>& bars, const std::string& color, double max_value = 0);

//! One segment of a 100% bar.
struct ShareSegment {
  std::string label;
  double value = 0;
  std::string color;
};

//! Labelled rows of 100%-stacked bars with a legend (the overlap chart).
struct ShareRow {
  std::string label;
  std::vector<ShareSegment> segments;
};
std::string StackedSharesSvg(const std::vector<ShareRow>& rows);

//! "1,234,567"
std::string GroupedInt(uint64_t v);
//! "45.6%"
std::string Percent(double share);

}  // namespace capsfusion::report
