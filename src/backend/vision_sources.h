// Image sources for `capsfusion caption`: the rows to caption and their image
// bytes, from a folder of images, WebDataset tar shards, or a dataset with an
// image-path field. Each yields one item per image (or row), in a stable
// order, with the image loaded only when the row needs a caption.
#pragma once

#include <memory>
#include <string>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion::backend {

struct ImageItem {
  Record record;              //!< the output row so far (fields), origin set
  std::string image;          //!< image bytes (when needs_caption and status is OK)
  bool needs_caption = true;  //!< false: the row already has the synthetic field
  Status status;              //!< non-OK: this row cannot be captioned (unreadable image, bad row)
};

struct ImageSourceOptions {
  std::string synthetic_field = "laion_coco";  //!< the field the caption fills
  bool overwrite = false;                      //!< caption rows that already have it too
  size_t max_image_bytes = 20 << 20;
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  //! The next item; false at the end (or after a fatal error: status()).
  virtual bool Next(ImageItem* item) = 0;
  virtual const Status& status() const = 0;
};

//! Images (.jpg .jpeg .png .webp, any case) under `dir`, recursively, in
//! path order. Row fields: "id" (the path relative to `dir`), "txt" (a
//! sidecar NAME.txt), and the top-level fields of a sidecar NAME.json.
StatusOr<std::unique_ptr<ImageSource>> OpenImageFolder(const std::string& dir, const ImageSourceOptions& options);

//! A WebDataset shard (plain, .gz or .zst): one row per sample key, with
//! "__key__", "__url__", "txt", NAME for KEY.NAME.txt and the fields of
//! KEY.json, as the WebDataset reader makes them; the image is the sample's
//! .jpg/.jpeg/.png/.webp member.
StatusOr<std::unique_ptr<ImageSource>> OpenImageTar(const std::string& path, const ImageSourceOptions& options);

//! Any dataset the readers take, whose field `image_field` holds an image
//! path (relative paths are relative to `image_root`). Rows pass through whole.
StatusOr<std::unique_ptr<ImageSource>> OpenImageDataset(const std::string& path, const std::string& image_field,
                                                        const std::string& image_root, const ReaderOptions& reader,
                                                        const ImageSourceOptions& options);

//! True when `name` ends in .jpg, .jpeg, .png or .webp (any case).
bool IsImageName(const std::string& name);

}  // namespace capsfusion::backend
