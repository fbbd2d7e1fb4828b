#include "client/data_channel/partition_router.h"

#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tsdb_source::client::data_channel {
namespace {

std::string Describe(const StreamKey& stream, const std::string& chunk) {
  std::string out = stream.first.empty() ? stream.second : absl::StrCat(stream.first, ".", stream.second);
  if (!chunk.empty()) absl::StrAppend(&out, " chunk ", chunk);
  return out;
}

}  // namespace

PartitionRouter::PartitionRouter(int sockets, std::function<std::string()> new_id)
    : new_id_(std::move(new_id)), load_(sockets > 0 ? sockets : 0, 0) {}

absl::StatusOr<PartitionRouter::Route> PartitionRouter::Records(const StreamKey& stream,
                                                                const std::string& chunk,
                                                                uint64_t rows,
                                                                const std::vector<bool>& usable) {
  ChunkKey key{stream, chunk};
  auto it = partitions_.find(key);
  if (it == partitions_.end() || !it->second.reading) {
    if (it != partitions_.end()) {
      // Records of a chunk whose read was over: its earlier records wait for their
      // checkpoint under their own partition; these start another (a new read of it).
      return absl::InternalError(absl::StrCat("records of ", Describe(stream, chunk),
                                              " after the end of its read"));
    }
    // The least loaded usable socket; among equals the next after the last one chosen, so
    // that one chunk reader at a time still spreads its chunks over the sockets.
    int best = -1;
    const size_t n = load_.size();
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (next_socket_ + k) % n;
      if (i >= usable.size() || !usable[i]) continue;
      if (best < 0 || load_[i] < load_[best]) best = static_cast<int>(i);
    }
    if (best < 0) return absl::UnavailableError("no socket of the data channel is connected");
    next_socket_ = (static_cast<size_t>(best) + 1) % n;
    Partition p;
    p.id = new_id_();
    p.socket = best;
    ++load_[best];
    it = partitions_.emplace(key, std::move(p)).first;
  }
  it->second.records += rows;
  last_socket_[stream] = it->second.socket;
  return Route{it->second.socket, it->second.id};
}

void PartitionRouter::ChunkEnded(const StreamKey& stream, const std::string& chunk) {
  auto it = partitions_.find({stream, chunk});
  if (it == partitions_.end() || !it->second.reading) return;
  it->second.reading = false;
  --load_[it->second.socket];
}

absl::StatusOr<std::vector<PartitionRouter::State>> PartitionRouter::Checkpoint(
    const StreamKey& stream, bool global, const std::vector<ChunkCoverage>& chunks) {
  // Check everything before changing anything.
  for (const ChunkCoverage& c : chunks) {
    auto it = partitions_.find({c.stream, c.chunk});
    const uint64_t routed = it == partitions_.end() ? 0 : it->second.records;
    if (routed != c.records) {
      return absl::InternalError(absl::StrCat(
          "a checkpoint covers ", c.records, " records of ", Describe(c.stream, c.chunk),
          " but ", routed, " were sent since its previous checkpoint"));
    }
  }
  int64_t& next_id = global ? global_id_ : stream_ids_[stream];
  std::vector<State> states;
  for (const ChunkCoverage& c : chunks) {
    auto it = partitions_.find({c.stream, c.chunk});
    if (it == partitions_.end()) continue;
    Partition& p = it->second;
    if (p.records > 0) {
      State s;
      s.partition_id = p.id;
      s.records = p.records;
      s.id = ++next_id;
      s.socket = p.socket;
      states.push_back(std::move(s));
      last_socket_[c.stream] = p.socket;
    }
    if (c.ended && p.reading) {
      p.reading = false;
      --load_[p.socket];
    }
    if (!p.reading) {
      partitions_.erase(it);
    } else {
      p.id = new_id_();
      p.records = 0;
    }
  }
  if (states.empty()) {
    State s;
    s.partition_id = new_id_();
    s.id = ++next_id;
    auto last = last_socket_.find(stream);
    s.socket = last == last_socket_.end() ? -1 : last->second;
    states.push_back(std::move(s));
  }
  states.back().current = true;
  return states;
}

int PartitionRouter::LastSocketOf(const StreamKey& stream) const {
  auto it = last_socket_.find(stream);
  return it == last_socket_.end() ? -1 : it->second;
}

size_t PartitionRouter::open_partitions() const {
  size_t n = 0;
  for (const auto& [key, p] : partitions_) n += p.records > 0 ? 1 : 0;
  return n;
}

std::string RandomPartitionId() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::uniform_int_distribution<int> pick(0, sizeof(kAlphabet) - 2);
  std::string id(8, 'a');
  for (char& c : id) c = kAlphabet[pick(engine)];
  return id;
}

}  // namespace tsdb_source::client::data_channel
