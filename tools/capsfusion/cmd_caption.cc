// capsfusion caption: synthetic captions from images through an
// OpenAI-compatible vision endpoint, filling the synthetic field where it is
// missing, so that `capsfusion fuse` can run on the result.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "backend/vision_captioner.h"
#include "backend/vision_sources.h"
#include "backend_options.h"
#include "capsfusion/writer.h"
#include "command.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

struct CaptionArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string rejects;
  std::string synthetic_field = "laion_coco";
  std::string image_field;
  std::string image_root;
  bool overwrite = false;
  std::string prompt = backend::VisionOptions::DefaultPrompt();
  std::string prompt_file;
  int max_tokens = 40;
  float temperature = 0;
  size_t max_image_bytes = 20 << 20;
  size_t batch_size = 0;
  bool quiet = false;
  InputOptions in;
  OutputOptions out;
  RemoteArgs remote;
};

bool IsTar(const std::string& path) {
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".tar.zst"}) {
    std::string e = ext;
    if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

int RunCaption(CaptionArgs a) {
  const std::string cmd = "caption";
  if (a.remote.endpoints.empty()) return Fail(cmd, "no --endpoint given (an OpenAI-compatible vision server)");
  if (!a.prompt_file.empty()) {
    std::FILE* f = std::fopen(a.prompt_file.c_str(), "rb");
    if (f == nullptr) return Fail(cmd, "cannot open --prompt-file " + a.prompt_file);
    a.prompt.clear();
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) a.prompt.append(buf, n);
    std::fclose(f);
  }
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  auto remote = MakeRemoteOptions(a.remote);
  if (!remote.ok()) return Fail(cmd, remote.status());
  backend::VisionOptions vopt;
  vopt.prompt = a.prompt;
  vopt.max_tokens = a.max_tokens;
  vopt.temperature = a.temperature;
  vopt.max_image_bytes = a.max_image_bytes;
  auto captioner = backend::VisionCaptioner::Make(*remote, vopt);
  if (!captioner.ok()) return Fail(cmd, captioner.status());
  if (!a.quiet) {
    std::string eps;
    for (const std::string& u : (*captioner)->endpoints()) eps += (eps.empty() ? "" : " ") + u;
    std::fprintf(stderr, "capsfusion caption: model %s at %s\n", (*captioner)->model().c_str(), eps.c_str());
  }

  auto wopt = MakeWriterOptions(a.out);
  if (!wopt.ok()) return Fail(cmd, wopt.status());
  auto writer = RecordWriter::Open(a.output, *wopt);
  if (!writer.ok()) return Fail(cmd, writer.status());
  std::string rejects_path = a.rejects.empty() ? (a.output == "-" ? "rejects.jsonl" : a.output + ".rejects.jsonl") : a.rejects;
  RejectWriter rejects(rejects_path);

  backend::ImageSourceOptions sopt;
  sopt.synthetic_field = a.synthetic_field;
  sopt.overwrite = a.overwrite;
  sopt.max_image_bytes = a.max_image_bytes;
  const size_t batch_size = a.batch_size > 0 ? a.batch_size : (*captioner)->preferred_batch();
  const bool progress = !a.quiet && StderrIsTerminal();
  uint64_t rows = 0, captioned = 0, kept = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();

  std::vector<backend::ImageItem> batch;
  auto flush = [&]() -> Status {
    std::vector<std::string> images;
    std::vector<size_t> slots;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].status.ok() && batch[i].needs_caption) {
        images.push_back(std::move(batch[i].image));
        slots.push_back(i);
      }
    }
    auto caps = (*captioner)->Caption(images);
    if (!caps.ok()) return caps.status();
    for (size_t k = 0; k < slots.size(); ++k) {
      backend::ImageItem& it = batch[slots[k]];
      if ((*caps)[k].ok()) {
        it.record.SetString(a.synthetic_field, *(*caps)[k]);
      } else {
        it.status = (*caps)[k].status();
      }
    }
    for (backend::ImageItem& it : batch) {
      if (!it.status.ok()) {
        ++failed;
        if (!a.quiet) std::fprintf(stderr, "%scapsfusion caption: %s: %s\n", progress ? "\r\033[K" : "", it.record.origin.c_str(),
                                   it.status.ToString().c_str());
        CF_RETURN_IF_ERROR(rejects.Write(Reject{it.record.origin, it.status.ToString(), it.record.id}));
        continue;
      }
      it.needs_caption ? ++captioned : ++kept;
      CF_RETURN_IF_ERROR((*writer)->Write(it.record));
    }
    batch.clear();
    if (progress) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r\033[Kcapsfusion caption: %llu rows, %llu captioned, %llu failed, %.1f images/s",
                   (unsigned long long)rows, (unsigned long long)captioned, (unsigned long long)failed,
                   s > 0 ? captioned / s : 0.0);
    }
    return Status::OK();
  };

  for (const std::string& path : a.inputs) {
    StatusOr<std::unique_ptr<backend::ImageSource>> source = Status::Internal("unset");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      source = backend::OpenImageFolder(path, sopt);
    } else if (!a.image_field.empty()) {
      source = backend::OpenImageDataset(path, a.image_field, a.image_root, *ropt, sopt);
    } else if (IsTar(path)) {
      source = backend::OpenImageTar(path, sopt);
    } else {
      return Fail(cmd, path + ": not a folder or a .tar shard; for a dataset of image paths give --image-field");
    }
    if (!source.ok()) return Fail(cmd, source.status());
    backend::ImageItem item;
    while ((*source)->Next(&item)) {
      ++rows;
      batch.push_back(std::move(item));
      if (batch.size() >= batch_size) {
        Status s = flush();
        if (!s.ok()) return Fail(cmd, s);
      }
    }
    if (!(*source)->status().ok()) return Fail(cmd, (*source)->status());
  }
  Status s = flush();
  if (s.ok()) s = (*writer)->Close();
  if (s.ok()) s = rejects.Close();
  if (!s.ok()) return Fail(cmd, s);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!a.quiet) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "capsfusion caption: %llu rows, %llu captioned, %llu already had %s, %llu failed%s%s (%.2f s)\n",
                 (unsigned long long)rows, (unsigned long long)captioned, (unsigned long long)kept, a.synthetic_field.c_str(),
                 (unsigned long long)failed, failed ? " -> " : "", failed ? rejects_path.c_str() : "", secs);
  }
  return failed > 0 ? kExitPartial : kExitOk;
}

}  // namespace

void AddCaptionCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<CaptionArgs>();
  args->remote.style = "chat";
  CLI::App* sub = app.add_subcommand("caption", "Synthetic captions for images from an OpenAI-compatible vision endpoint");
  sub->footer(
      "Each image is sent as a data URL in a chat message with the prompt; the answer fills the synthetic\n"
      "field (default laion_coco) where a row does not have it. Rows that fail go to OUTPUT.rejects.jsonl\n"
      "(exit code 3). See docs/remote.md.\n\n"
      "Examples:\n"
      "  capsfusion caption images/ -o captioned.jsonl --endpoint http://127.0.0.1:8000 --endpoint-model Qwen2-VL-7B\n"
      "  capsfusion caption 00000.tar -o 00000.jsonl --endpoint https://api.openai.com/v1 --endpoint-model gpt-4o-mini\n"
      "  capsfusion caption rows.jsonl --image-field path -o captioned.jsonl --endpoint http://vlm:8000\n"
      "  capsfusion fuse captioned.jsonl -o fused.jsonl --raw-field txt -m model --endpoint http://llm:8000");
  sub->add_option("inputs", args->inputs, "Image folders, WebDataset .tar shards, or datasets with --image-field")->required();
  sub->add_option("-o,--output", args->output, "Output rows (.jsonl, .json, .csv, .tsv, .parquet)")->required();
  sub->add_option("--rejects", args->rejects, "Where failed rows go (default: OUTPUT.rejects.jsonl)");
  sub->add_option("--synthetic-field", args->synthetic_field, "Field the caption fills (the synthetic caption of fuse)")->capture_default_str();
  sub->add_flag("--overwrite-field", args->overwrite, "Caption rows that already have the field too");
  sub->add_option("--image-field", args->image_field, "Dataset inputs: the field with each row's image path");
  sub->add_option("--image-root", args->image_root, "Relative image paths start here (default: the dataset's folder)");
  sub->add_option("--prompt", args->prompt, "Captioning instruction sent with each image (default: a short BLIP-style caption)");
  sub->add_option("--prompt-file", args->prompt_file, "Read the instruction from this file");
  sub->add_option("--max-new-tokens", args->max_tokens, "Most tokens per caption")->capture_default_str();
  sub->add_option("--temperature", args->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  sub->add_option("--max-image-bytes", args->max_image_bytes, "Larger images fail their row")->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Images held and sent together (0: 4 x total concurrency)")->capture_default_str();
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  sub->add_option("--format", args->in.format, "Dataset input format (auto, json, jsonl, csv, tsv, parquet)")->capture_default_str()->group("Input");
  AddOutputOptions(sub, &args->out);
  AddRemoteOptions(sub, &args->remote, "Vision endpoint (OpenAI-compatible, chat API; docs/remote.md)");
  sub->callback([args, run] { *run = [args] { return RunCaption(*args); }; });
}

}  // namespace capsfusion::cli
