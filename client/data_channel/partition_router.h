// Partitions of Airbyte's socket data channel (speed mode), as pure bookkeeping.
//
// In speed mode every record carries a partition id, and a STATE names the one partition it
// closes with that partition's record count and an id increasing per stream (per read for
// GLOBAL states): the destination commits a state only when it holds every record of its
// partition, and commits states in id order. The router maps the Read stream onto that:
// - a partition is the records of one chunk between two checkpoints that cover the chunk
//   (Checkpoint.chunks); a chunk's records go to one socket while its read lasts;
// - a checkpoint that closes n partitions becomes n STATEs with consecutive ids; only the
//   last carries the checkpoint's own state, the others the state before it (committing
//   them early then commits nothing their records do not cover);
// - a checkpoint that closes none becomes one STATE of a fresh, empty partition.
// Which socket a new chunk gets: the usable one with the fewest open chunks; on ties the
// next after the socket chosen last (round robin), so one reader at a time still spreads
// its chunks. No sockets, no I/O here (docs/design/speed-mode.md section 2.3).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tsdb_source::client::data_channel {

// (namespace, name) of a stream.
using StreamKey = std::pair<std::string, std::string>;

// What a checkpoint says of one chunk (v1::ChunkRecords).
struct ChunkCoverage {
  StreamKey stream;
  std::string chunk;
  uint64_t records = 0;  // newly covered
  bool ended = false;
};

class PartitionRouter final {
 public:
  // `sockets`: how many sockets there are; `new_id` makes a partition id.
  PartitionRouter(int sockets, std::function<std::string()> new_id);

  struct Route {
    int socket = 0;
    std::string partition_id;
  };
  // Where `rows` records of `chunk` of `stream` go. A chunk without an open partition gets a
  // new one on the usable socket (`usable[i]`) with the fewest open chunks. Error when no
  // socket is usable.
  absl::StatusOr<Route> Records(const StreamKey& stream, const std::string& chunk, uint64_t rows,
                                const std::vector<bool>& usable);

  // The chunk's read is over: its socket counts it no more; its partition, if it has
  // records, waits for the checkpoint that covers it.
  void ChunkEnded(const StreamKey& stream, const std::string& chunk);

  struct State {
    std::string partition_id;
    uint64_t records = 0;  // the partition's, for sourceStats.recordCount
    int64_t id = 0;
    // True for the last: it carries the checkpoint's state; the others carry the one before.
    bool current = false;
    int socket = -1;  // where the partition's records went; -1 when it has none
  };
  // The STATEs of a checkpoint of `stream` (ignored when `global`: CDC, whose ids run per
  // read) that covers `chunks`. Error when it covers records the router did not route or
  // counts them otherwise (the destination would wait for them forever).
  absl::StatusOr<std::vector<State>> Checkpoint(const StreamKey& stream, bool global,
                                                const std::vector<ChunkCoverage>& chunks);

  // The socket of the stream's latest records or state, -1 when none yet.
  int LastSocketOf(const StreamKey& stream) const;
  // Partitions with records that no checkpoint closed yet.
  size_t open_partitions() const;

 private:
  struct Partition {
    std::string id;
    uint64_t records = 0;
    int socket = 0;
    bool reading = true;  // the chunk's read goes on (counts in load_)
  };
  using ChunkKey = std::pair<StreamKey, std::string>;

  std::function<std::string()> new_id_;
  std::vector<int> load_;  // open (reading) chunks per socket
  size_t next_socket_ = 0;  // where the search for a new partition's socket starts
  std::map<ChunkKey, Partition> partitions_;
  std::map<StreamKey, int64_t> stream_ids_;
  int64_t global_id_ = 0;
  std::map<StreamKey, int> last_socket_;
};

// A random partition id: 8 characters of [A-Za-z0-9] (the Bulk CDK uses 4).
std::string RandomPartitionId();

}  // namespace tsdb_source::client::data_channel
