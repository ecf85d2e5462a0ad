using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Lifeline.LocalNats;

internal sealed partial class LocalNatsCluster
{
    /// <summary>One server's fixed identity and its current process, whose log a reader loop follows to its end (a full pipe would stall the server).</summary>
    private sealed class Server(string name, string config, string url, Uri jsz)
    {
        /// <summary>Enough of a server's log to see why it failed.</summary>
        private const int KeptLines = 60;

        /// <summary>Between two looks at <c>/jsz</c>: a server's readiness is a few hundred milliseconds away.</summary>
        private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(250);

        private readonly RecentLines _recent = new(KeptLines);
        private TaskCompletionSource _metaLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        public string Config { get; } = config;

        public string Url { get; } = url;

        public Process? Process { get; set; }

        /// <summary>Reads the current process's log until it exits; <see cref="KillServerAsync"/> awaits it.</summary>
        public Task Reader { get; private set; } = Task.CompletedTask;

        public void Started(Process process)
        {
            Process = process;
            _metaLeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Reader = ReadLogAsync(process, _metaLeader);
        }

        /// <summary>
        /// Waits until the server logs a meta leader, or its monitoring endpoint (<c>/jsz</c>) names one: a server that
        /// rejoins does not always log it, so the endpoint is asked too, between waits on the log.
        /// </summary>
        public async Task WaitForMetaLeaderAsync(CancellationToken cancellationToken)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var started = Stopwatch.GetTimestamp();
            while (!_metaLeader.Task.IsCompleted)
            {
                if (Stopwatch.GetElapsedTime(started) > Timeout)
                {
                    throw new LocalNatsException(string.Create(CultureInfo.InvariantCulture,
                        $"nats-server {Name} found no JetStream meta leader within {Timeout.TotalSeconds:0} s; its last log line: {LastLine()}"));
                }

                if (await HasMetaLeaderAsync(http, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                await Task.WhenAny(_metaLeader.Task, Task.Delay(s_pollInterval, TimeProvider.System, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            await _metaLeader.Task.ConfigureAwait(false);
        }

        public string RecentLog() => _recent.ToString();

        private string LastLine() => _recent.Last();

        private async Task<bool> HasMetaLeaderAsync(HttpClient http, CancellationToken cancellationToken)
        {
            try
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync(jsz, cancellationToken).ConfigureAwait(false));
                return doc.RootElement.TryGetProperty("meta_cluster", out var meta)
                    && meta.TryGetProperty("leader", out var leader)
                    && leader.GetString() is { Length: > 0 };
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet, or restarting.
                return false;
            }
        }

        private async Task ReadLogAsync(Process process, TaskCompletionSource metaLeader)
        {
            // "Self is new JetStream cluster metadata leader" on the leader, "JetStream cluster new metadata leader: ..."
            // on the others (also on a server that rejoins): from then on the server can serve JetStream API calls.
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _recent.Add(line);

                if (line.Contains("metadata leader", StringComparison.Ordinal))
                {
                    metaLeader.TrySetResult();
                }
            }

            metaLeader.TrySetException(new LocalNatsException($"nats-server {Name} exited before it joined the cluster; its last log line: {LastLine()}"));
        }
    }
}
