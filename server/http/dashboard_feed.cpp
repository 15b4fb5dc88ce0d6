#include "server/http/dashboard_feed.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "projections/dashboard_view.h"
#include "server/http/sse_stream.h"
#include "server/server_context.h"

namespace cohort {

namespace {

Millis wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string server_figures(const ServerContext& context, const LatencyFigures& latency) {
  MetricTotals totals = context.core.metrics().totals();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("connections");
  w.Uint64(context.core.registry().socket_count());
  w.Key("records_appended");
  w.Uint64(static_cast<std::uint64_t>(totals.records_appended));
  w.Key("commit_failures");
  w.Uint64(static_cast<std::uint64_t>(totals.commit_failures));
  w.Key("violations");
  w.Uint64(static_cast<std::uint64_t>(totals.violations));
  w.Key("rejected_commands");
  w.Uint64(static_cast<std::uint64_t>(totals.rejected));
  w.Key("relayed_messages");
  w.Uint64(static_cast<std::uint64_t>(totals.relayed));
  w.Key("commit_latency");
  w.StartObject();
  w.Key("window_s");
  w.Int64(std::chrono::duration_cast<std::chrono::seconds>(DashboardFeed::kLatencySpan).count());
  w.Key("commits");
  w.Uint64(static_cast<std::uint64_t>(latency.commits));
  w.Key("mean_ms");
  w.Double(latency.mean_ms);
  w.Key("p50_ms");
  w.Double(latency.p50_ms);
  w.Key("p99_ms");
  w.Double(latency.p99_ms);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

DashboardFeed::DashboardFeed(ServerContext& context)
    : context_(context), strand_(boost::asio::make_strand(context.io)), timer_(strand_) {}

void DashboardFeed::start() { arm(); }

void DashboardFeed::arm() {
  timer_.expires_after(kTick);
  // A weak hold: the context owns the feed, and the io_context outlives it.
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->context_.stopping) return;
    self->tick();
    self->arm();
  });
}

void DashboardFeed::subscribe(std::shared_ptr<SseStream> stream) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(stream);
  newcomer_ = true;
}

void DashboardFeed::tick() {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const std::weak_ptr<SseStream>& s) {
      auto stream = s.lock();
      return !stream || stream->closed();
    });
    if (subscribers_.empty() || building_) return;
    bool committed = context_.core.writer().last_committed() != sent_seq_;
    if (!committed && !newcomer_ && now - sent_at_ < kRefresh) return;
    building_ = true;
    newcomer_ = false;
    sent_seq_ = context_.core.writer().last_committed();
    sent_at_ = now;
  }
  build([self = shared_from_this()](std::string json) {
    auto data = std::make_shared<const std::string>(std::move(json));
    std::vector<std::shared_ptr<SseStream>> streams;
    {
      std::lock_guard lock(self->mutex_);
      self->building_ = false;
      for (const auto& s : self->subscribers_) {
        if (auto stream = s.lock()) streams.push_back(std::move(stream));
      }
    }
    for (const auto& stream : streams) stream->publish(data);
  });
}

void DashboardFeed::build(std::function<void(std::string)> done) {
  context_.core.pipeline().query([self = shared_from_this(), done = std::move(done)](const Engine& engine) {
    std::string study = dashboard_view(engine.state(), engine.projections().analytics, engine.projections().last_seq,
                                       wall_clock_ms());
    LatencyFigures latency;
    {
      std::lock_guard lock(self->mutex_);
      latency = self->latency_.add(std::chrono::steady_clock::now(), self->context_.core.metrics().commit_latency());
    }
    done("{\"study\":" + study + ",\"server\":" + server_figures(self->context_, latency) + "}");
  });
}

}  // namespace cohort
