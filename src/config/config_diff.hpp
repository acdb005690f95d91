#pragma once
// What a reloaded configuration changes, in words an operator reads in the
// log and in POST /admin/reload's answer ("key 'ci' added", "route 'fast'
// changed"), and which of its changes only a restart applies (the listener,
// the ledger, the cache's size, the shared state).
#include <switchyard/config.hpp>

#include <string>
#include <vector>

namespace switchyard::config {

struct ConfigDiff {
  std::vector<std::string> changes;       // applied by a reload
  std::vector<std::string> needs_restart; // sections that differ but stay as started: "[server]", "[usage]", "[cache]", "[state]"
};

ConfigDiff diff(const Config& running, const Config& next);

// `next` with the sections only a restart applies taken from `running` (what a reload actually runs).
Config reloadable_part(const Config& running, Config next);

}  // namespace switchyard::config
