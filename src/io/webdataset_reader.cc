#include "io/readers.h"
namespace capsfusion::io {
std::unique_ptr<RecordReader> NewWebDatasetReader(ReaderParts parts) { return nullptr; }
}
#include "io/writers.h"
namespace capsfusion::io {
std::unique_ptr<RecordWriter> NewWebDatasetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options) { return nullptr; }
}
