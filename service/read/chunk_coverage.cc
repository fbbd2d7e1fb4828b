#include "service/read/chunk_coverage.h"

#include <utility>

namespace tsdb_source {

ChunkCoverage::Chunk& ChunkCoverage::At(const std::string& chunk) {
  auto [it, added] = chunks_.try_emplace(chunk);
  if (added) first_seen_.push_back(chunk);
  return it->second;
}

void ChunkCoverage::Emitted(const std::string& chunk, uint64_t records) {
  At(chunk).emitted += records;
}

v1::ChunkEnd ChunkCoverage::End(const std::string& chunk) {
  Chunk& c = At(chunk);
  c.ended = true;
  v1::ChunkEnd end;
  *end.mutable_stream() = stream_;
  end.set_chunk(chunk);
  end.set_records(c.emitted + c.covered);
  return end;
}

void ChunkCoverage::CoverChunk(const std::string& chunk, Chunk& c) {
  c.covered += c.emitted;
  c.emitted = 0;
  if (c.ended && !c.end_taken) c.end_covered = true;
  if (!c.pending && (c.covered > 0 || c.end_covered)) {
    c.pending = true;
    cover_order_.push_back(chunk);
  }
}

void ChunkCoverage::Cover(const std::string& chunk) { CoverChunk(chunk, At(chunk)); }

void ChunkCoverage::CoverAll() {
  for (const std::string& chunk : first_seen_) CoverChunk(chunk, chunks_.at(chunk));
}

std::vector<v1::ChunkEnd> ChunkCoverage::EndAll() {
  std::vector<v1::ChunkEnd> ends;
  for (const std::string& chunk : first_seen_) {
    if (!chunks_.at(chunk).ended) ends.push_back(End(chunk));
  }
  return ends;
}

void ChunkCoverage::TakeCovered(google::protobuf::RepeatedPtrField<v1::ChunkRecords>* out) {
  for (const std::string& chunk : cover_order_) {
    Chunk& c = chunks_.at(chunk);
    v1::ChunkRecords* entry = out->Add();
    entry->set_chunk(chunk);
    entry->set_records(c.covered);
    entry->set_ended(c.end_covered);
    *entry->mutable_stream() = stream_;
    if (c.end_covered) c.end_taken = true;
    c.covered = 0;
    c.end_covered = false;
    c.pending = false;
  }
  cover_order_.clear();
}

uint64_t ChunkCoverage::Uncovered(const std::string& chunk) const {
  auto it = chunks_.find(chunk);
  return it == chunks_.end() ? 0 : it->second.emitted + it->second.covered;
}

}  // namespace tsdb_source
