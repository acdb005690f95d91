#pragma once
// The status dashboard's page (GET /ui): src/ui/dashboard.html, compiled in
// at build time (CMakeLists.txt generates its definition). One self-contained
// HTML file: its CSS and JS inline, charts drawn as SVG, no library, no CDN.
#include <string_view>

namespace switchyard::ui {

std::string_view dashboard_html() noexcept;

}  // namespace switchyard::ui
