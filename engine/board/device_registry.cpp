#include "engine/board/device_registry.h"

#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "engine/base/parse.h"

namespace glassvm {

namespace {

// Small numbers (interrupt sources) read best in decimal, addresses in hexadecimal.
std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, v < 0x10000 ? "%" PRIu64 : "0x%" PRIx64, v);
  return buf;
}

// Checks `text` against `opt` and stores it in `out`.
bool set_option(const DeviceOption& opt, const std::string& text,
                std::map<std::string, uint64_t>& numbers,
                std::map<std::string, std::string>& strings, std::string& error) {
  if (opt.type == DeviceOption::Type::String) {
    strings[opt.name] = text;
    return true;
  }
  uint64_t v = 0;
  if (!parse_u64(text, v)) {
    error = "'" + text + "' is not a number (decimal, or hexadecimal with 0x)";
    return false;
  }
  if (v < opt.min || v > opt.max) {
    error = text + " is out of range (" + hex(opt.min) + ".." + hex(opt.max) + ")";
    return false;
  }
  numbers[opt.name] = v;
  return true;
}

}  // namespace

uint64_t DeviceOptions::number(const std::string& name) const {
  auto it = numbers_.find(name);
  assert(it != numbers_.end() && "DeviceOptions::number: the model declares no such number");
  return it->second;
}

const std::string& DeviceOptions::string(const std::string& name) const {
  auto it = strings_.find(name);
  assert(it != strings_.end() && "DeviceOptions::string: the model declares no such string");
  return it->second;
}

void DeviceRegistry::add(DeviceModel model) {
  assert(!model.name.empty() && model.create &&
         "DeviceRegistry::add: a model needs a name and create");
  assert(!models_.count(model.name) && "DeviceRegistry::add: a model of that name exists");
  for (const DeviceOption& opt : model.options) {
    if (opt.type == DeviceOption::Type::Number && !opt.default_value.empty()) {
      uint64_t v = 0;
      assert(parse_u64(opt.default_value, v) && v >= opt.min && v <= opt.max &&
             "DeviceRegistry::add: an option default is not a valid value");
      (void)v;
    }
  }
  const std::string name = model.name;
  models_.emplace(name, std::move(model));
}

const DeviceModel* DeviceRegistry::find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

std::vector<const DeviceModel*> DeviceRegistry::models() const {
  std::vector<const DeviceModel*> out;
  for (const auto& [name, model] : models_) out.push_back(&model);
  return out;
}

bool DeviceRegistry::parse(const std::string& text, DeviceSpec& out, std::string& error) const {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    parts.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const DeviceModel* model = find(parts[0]);
  if (model == nullptr) {
    error = "unknown device '" + parts[0] + "' (-device help lists them)";
    return false;
  }
  out = DeviceSpec{};
  out.model = model;
  std::map<std::string, bool> given;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    const std::string key = parts[i].substr(0, eq);
    const DeviceOption* opt = nullptr;
    for (const DeviceOption& o : model->options)
      if (o.name == key) opt = &o;
    if (opt == nullptr) {
      error = model->name + ": unknown option '" + key + "' (-device " + model->name +
              ",help lists them)";
      return false;
    }
    if (eq == std::string::npos) {
      error = model->name + ": option '" + key + "' needs a value (" + key + "=...)";
      return false;
    }
    if (given[key]) {
      error = model->name + ": option '" + key + "' is given twice";
      return false;
    }
    given[key] = true;
    std::string why;
    if (!set_option(*opt, parts[i].substr(eq + 1), out.options.numbers_, out.options.strings_,
                    why)) {
      error = model->name + ": " + key + "=" + parts[i].substr(eq + 1) + ": " + why;
      return false;
    }
  }
  for (const DeviceOption& opt : model->options) {
    if (given[opt.name]) continue;
    if (opt.default_value.empty() && opt.type == DeviceOption::Type::Number) {
      error = model->name + ": option '" + opt.name + "' is required";
      return false;
    }
    std::string why;
    const bool ok =
        set_option(opt, opt.default_value, out.options.numbers_, out.options.strings_, why);
    assert(ok && "defaults are checked by add()");
    (void)ok;
  }
  return true;
}

std::string DeviceRegistry::help() const {
  std::string text;
  for (const auto& [name, model] : models_) {
    text += "name \"" + name + "\", bus " + model.bus + ", desc \"" + model.description + "\"" +
            (model.user_creatable ? "" : ", no-user") + "\n";
  }
  return text;
}

std::string DeviceRegistry::help(const DeviceModel& model) {
  std::string text = model.name + " options:\n";
  for (const DeviceOption& opt : model.options) {
    text += "  " + opt.name + "=<" +
            (opt.type == DeviceOption::Type::Number ? std::string("number") : "string") + ">";
    text += " - " + opt.help;
    if (opt.type == DeviceOption::Type::Number) text += ", " + hex(opt.min) + ".." + hex(opt.max);
    text += opt.default_value.empty() ? " (required)" : " (default " + opt.default_value + ")";
    text += "\n";
  }
  return text;
}

}  // namespace glassvm
