// The live server under load: cohort-server and this load generator as separate processes on
// loopback; 2-seat games, countdown 0, durability full. For each N, two runs, each on a fresh
// server with N participants connected and registered:
//  - spread: all N send join_game within one second (a panel releasing a study), which gives
//    the join-to-start latency; for N <= 1000 the pairs then play, 30 actions per second per
//    player relayed to the partner;
//  - at once: all N joins are sent back to back, so matched_per_s is the server's rate and not
//    the generator's one-second pacing.
// A client whose socket failed at any point counts as failed, never as ready or matched.
// Usage: build/bench_server [--participants 100,1000,5000] [--play-seconds 5]
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <sstream>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "server/transport/socketio_frame.h"
#include "tests/bench/percentiles.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace cohort;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

// Counters are read by the main thread while the client thread runs; the latency samples only
// after it has stopped.
struct Totals {
  std::atomic<int> ready{0}, started{0}, failed{0};
  std::atomic<std::int64_t> relayed{0};
  std::vector<std::int64_t> join_to_start_us, relay_us;
};

// All clients run on the generator's one I/O thread, so they need no strands; the executor is
// named by type because type-erasing it made the generator the larger CPU user of the two.
using ClientSocket = net::basic_stream_socket<tcp, net::io_context::executor_type>;

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(net::io_context& io, std::string subject, Totals& totals)
      : ws_(io.get_executor()), subject_(std::move(subject)), totals_(totals) {}

  void start(const tcp::endpoint& endpoint) {
    beast::get_lowest_layer(ws_).async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail();
      self->ws_.async_handshake("127.0.0.1", "/socket.io/?EIO=4&transport=websocket",
                                [self](beast::error_code ec2) { ec2 ? self->fail() : self->read(); });
    });
  }
  void join() {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->joined_us_ = now_us();
      self->send(sio::event_frame("join_game", "{}"));
    });
  }
  void act(int frame) {
    net::post(ws_.get_executor(), [self = shared_from_this(), frame] {
      if (self->game_ < 0) return;
      self->send(sio::event_frame("pyodide_player_action", "{\"game_id\":" + std::to_string(self->game_) +
                                                             ",\"action\":" + std::to_string(now_us()) +
                                                             ",\"frame_number\":" + std::to_string(frame) + "}"));
    });
  }
  bool playing() const { return game_ >= 0; }
  // Read by the main thread; written on the generator's I/O thread.
  bool failed() const { return failed_; }
  bool counted_ready() const { return ready_ && !failed_; }
  bool counted_started() const { return started_ && !failed_; }
  std::int64_t started_at_us() const { return last_start_us_; }

 private:
  // A socket can report several errors (a read and a write): the client fails once.
  void fail() {
    if (!failed_.exchange(true)) ++totals_.failed;
  }
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->on_frame(beast::buffers_to_string(self->buffer_.data()));
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }
  void on_frame(const std::string& text) {
    if (text == "2") return send("3");
    if (text.starts_with("0{")) return send("40");
    if (text.starts_with("40")) return send(sio::event_frame("register_subject", "{\"subject_id\":\"" + subject_ + "\"}"));
    auto frame = sio::parse_frame(text);
    if (frame.kind != sio::FrameKind::event) return;
    rapidjson::Document doc;
    doc.Parse(frame.payload.data(), frame.payload.size());
    if (!doc.IsArray() || doc.Size() < 2 || !doc[0].IsString()) return;
    std::string_view name(doc[0].GetString(), doc[0].GetStringLength());
    const auto& args = doc[1];
    if (name == "registered") {
      send(sio::event_frame("advance_scene", "{}"));
    } else if (name == "activate_scene" && args["type"] == "game") {
      ready_ = true;
      ++totals_.ready;
    } else if (name == "start_game") {
      totals_.join_to_start_us.push_back(now_us() - joined_us_);
      last_start_us_ = now_us();
      started_ = true;
      ++totals_.started;
      game_ = args["game_id"].GetInt64();
    } else if (name == "pyodide_other_player_action") {
      totals_.relay_us.push_back(now_us() - args["action"].GetInt64());
      ++totals_.relayed;
    }
  }
  void send(std::string frame) {
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) write();
  }
  void write() {
    ws_.text(true);
    ws_.async_write(net::buffer(outbox_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->outbox_.pop_front();
      if (!self->outbox_.empty()) self->write();
    });
  }

  websocket::stream<ClientSocket> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::string subject_;
  Totals& totals_;
  std::int64_t joined_us_ = 0;
  std::int64_t game_ = -1;
  std::atomic<bool> failed_{false}, ready_{false}, started_{false};
  std::atomic<std::int64_t> last_start_us_{0};
};

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
};

ServerProcess spawn_server(const std::string& binary, const std::string& dir) {
  std::ofstream(dir + "/config.json") << R"({"experiment_id":"bench","server":{"durability":"full","admin_token":"bench-admin-token-0123",)"
                                         R"("rate_limit_per_s":1000,"ping_interval_ms":60000,"ping_timeout_ms":60000,)"
                                         R"("max_connections":100000,"max_connections_per_address":100000},)"
                                         R"("scenes":[{"scene_id":"consent","type":"static"},{"scene_id":"game",)"
                                         R"("type":"game","human_seats":2,"countdown_ms":0,"reconnection_timeout_ms":5000},)"
                                         R"({"scene_id":"end","type":"static"}]})";
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  ServerProcess server;
  server.pid = fork();
  if (server.pid == 0) {
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    execl(binary.c_str(), binary.c_str(), "--config", (dir + "/config.json").c_str(), "--db", (dir + "/log.db").c_str(),
          "--address", "127.0.0.1", "--port", "0", nullptr);
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string seen;
  char buf[4096];
  while (seen.find("\"port\":\"") == std::string::npos) {
    ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) throw std::runtime_error("server did not start: " + seen);
    seen.append(buf, static_cast<std::size_t>(n));
  }
  server.port = std::stoi(seen.substr(seen.find("\"port\":\"") + 8));
  // Keep draining its stderr so that it never blocks on a full pipe.
  std::thread([fd = pipe_fds[0]] {
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) {
    }
    close(fd);
  }).detach();
  return server;
}

// Resident memory (KiB) and CPU time (s) of a process, from /proc.
std::pair<long, double> usage(pid_t pid) {
  long rss = 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) rss = std::stol(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string skip;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 13; ++i) fields >> skip;
  fields >> utime >> stime;
  return {rss, static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK))};
}

template <class Done>
bool wait_until(Done done, std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return done();
}

// A fresh server with N participants connected, registered and on the game scene; stopping it
// (the destructor) ends the server and the generator's I/O thread, after which the latency
// samples in `totals` may be read.
class Fleet {
 public:
  Fleet(const std::string& binary, int participants, const std::string& name, Totals& totals) : totals_(totals) {
    dir_ = (std::filesystem::temp_directory_path() / ("bench_server-" + std::to_string(getpid()) + "-" + name)).string();
    std::filesystem::create_directories(dir_);
    server_ = spawn_server(binary, dir_);
    long idle_rss = usage(server_.pid).first;
    io_thread_ = std::thread([this] { io_.run(); });
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_.port));
    for (int i = 0; i < participants; ++i) {
      clients_.push_back(std::make_shared<Client>(io_, "bench-" + std::to_string(i), totals));
      clients_.back()->start(endpoint);
      if (i % 200 == 199) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // within the accept backlog
    }
    wait_until([&] { return totals.ready + totals.failed >= participants; }, std::chrono::seconds(120));
    rss_growth_kib_ = usage(server_.pid).first - idle_rss;
  }
  ~Fleet() {
    kill(server_.pid, SIGTERM);
    waitpid(server_.pid, nullptr, 0);
    work_.reset();
    io_.stop();
    io_thread_.join();
    std::filesystem::remove_all(dir_);
  }
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  std::vector<std::shared_ptr<Client>>& clients() { return clients_; }
  pid_t server_pid() const { return server_.pid; }
  long rss_growth_kib() const { return rss_growth_kib_; }
  // Counted from each client's own state, so that a client that failed after it was ready or
  // matched is not counted; call it before the server stops, which ends every socket.
  int count(bool (Client::*counted)() const) const {
    return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [&](const auto& c) { return ((*c).*counted)(); }));
  }
  // Waits for every participant to have started a game or failed.
  bool wait_all_started() {
    int n = static_cast<int>(clients_.size());
    return wait_until([&] { return totals_.started + totals_.failed >= n; }, std::chrono::seconds(60)) &&
           count(&Client::counted_started) == n;
  }

 private:
  Totals& totals_;
  std::string dir_;
  ServerProcess server_;
  long rss_growth_kib_ = 0;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
  std::thread io_thread_;
  std::vector<std::shared_ptr<Client>> clients_;
};

// All N joins back to back, on a fresh server: how many games the server matches and starts
// per second, from the first join sent to the last start_game received.
double matched_per_second(const std::string& binary, int participants) {
  Totals totals;
  Fleet fleet(binary, participants, "at-once", totals);
  std::int64_t first_join_us = now_us();
  for (auto& client : fleet.clients()) client->join();
  fleet.wait_all_started();
  std::int64_t last_start_us = first_join_us;
  for (auto& client : fleet.clients()) {
    if (client->counted_started()) last_start_us = std::max(last_start_us, client->started_at_us());
  }
  int matched = fleet.count(&Client::counted_started);
  return last_start_us > first_join_us ? matched / (static_cast<double>(last_start_us - first_join_us) / 1e6) : 0.0;
}

void run(const std::string& binary, int participants, int play_seconds, int actions_per_s) {
  Totals totals;
  auto fleet = std::make_unique<Fleet>(binary, participants, "spread", totals);
  auto& clients = fleet->clients();

  // The spread burst: every participant joins within one second.
  auto burst_start = Clock::now();
  for (int i = 0; i < participants; ++i) {
    std::this_thread::sleep_until(burst_start + std::chrono::microseconds(1'000'000LL * i / participants));
    clients[static_cast<std::size_t>(i)]->join();
  }
  bool all_started = fleet->wait_all_started();

  double relay_rate = 0, cpu_percent = 0, generator_percent = 0;
  std::int64_t tick_late_max_us = 0, ticks_late_over_2ms = 0;
  if (participants <= 1000 && play_seconds > 0) {
    double cpu_before = usage(fleet->server_pid()).second;
    double own_before = usage(getpid()).second;
    auto play_start = Clock::now();
    std::int64_t relayed_before = totals.relayed;
    int ticks_per_second = 1000;  // spread each player's actions over the second
    int period = ticks_per_second / actions_per_s;
    for (int tick = 0; tick < play_seconds * ticks_per_second; ++tick) {
      auto due = play_start + std::chrono::milliseconds(tick);
      std::this_thread::sleep_until(due);
      // The ticker doubles as a stall detector: waking late means the machine left this thread
      // unscheduled for that long, and such stalls show in the relay tail whatever the server does.
      std::int64_t late_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count();
      tick_late_max_us = std::max(tick_late_max_us, late_us);
      if (late_us > 2000) ++ticks_late_over_2ms;
      for (int i = tick % period; i < participants; i += period) clients[static_cast<std::size_t>(i)]->act(tick);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    double elapsed = std::chrono::duration<double>(Clock::now() - play_start).count();
    relay_rate = static_cast<double>(totals.relayed - relayed_before) / elapsed;
    cpu_percent = 100.0 * (usage(fleet->server_pid()).second - cpu_before) / elapsed;
    generator_percent = 100.0 * (usage(getpid()).second - own_before) / elapsed;
  }
  int failed = totals.failed.load();
  int ready = fleet->count(&Client::counted_ready);
  int matched = fleet->count(&Client::counted_started);
  long rss_growth_kib = fleet->rss_growth_kib();
  fleet.reset();  // stops the generator's thread: the samples are complete
  double matched_per_s = matched_per_second(binary, participants);

  std::printf("participants=%d ready=%d failed=%d matched=%d matched_per_s=%.0f "
              "join_to_start_p50_ms=%.2f join_to_start_p99_ms=%.2f relayed_per_s=%.0f relay_p50_ms=%.3f "
              "relay_p99_ms=%.3f rss_per_participant_kib=%.1f server_cpu_percent_playing=%.0f "
              "generator_cpu_percent_playing=%.0f tick_late_max_ms=%.1f ticks_late_over_2ms=%lld all_started=%s\n",
              participants, ready, failed, matched, matched_per_s,
              bench::percentile(totals.join_to_start_us, 50) / 1000.0,
              bench::percentile(totals.join_to_start_us, 99) / 1000.0, relay_rate,
              bench::percentile(totals.relay_us, 50) / 1000.0, bench::percentile(totals.relay_us, 99) / 1000.0,
              static_cast<double>(rss_growth_kib) / participants, cpu_percent, generator_percent,
              tick_late_max_us / 1000.0, static_cast<long long>(ticks_late_over_2ms), all_started ? "yes" : "no");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-server under load, from a separate load-generator process"};
  std::vector<int> participants{100, 1000, 5000};
  int play_seconds = 5;
  std::string server = (std::filesystem::path(argv[0]).parent_path() / "cohort-server").string();
  app.add_option("--participants", participants, "counts to run")->delimiter(',');
  app.add_option("--play-seconds", play_seconds, "seconds of play (for 1000 participants or fewer)");
  app.add_option("--server", server, "the cohort-server binary");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  for (int n : participants) run(server, n, play_seconds, 30);
  return 0;
}
