using System.Net;
using Lifeline.Hub.Client;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.HubClient;

/// <summary>Helpers shared by the typed hub client's tests.</summary>
internal static class HubClientFixtures
{
    /// <summary>A fault proxy in front of the hub.</summary>
    public static Task<FaultProxy> StartProxyAsync(HubHost hub) =>
        FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port));

    /// <summary>Client options for tests: fast reconnects and dead-peer detection, so faults heal in well under a second.</summary>
    public static LifelineHubClientOptions Options(Uri url, string? clientId = null) => new()
    {
        Url = url,
        ClientId = clientId,
        ConfigureClient = o =>
        {
            o.Reconnect.BaseDelay = TimeSpan.FromMilliseconds(20);
            o.Reconnect.MaxDelay = TimeSpan.FromMilliseconds(200);
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(500);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(1);
            o.CloseTimeout = TimeSpan.FromSeconds(1);
        },
    };

    /// <summary>Every entry in the hub's store, oldest first, through <c>GET /v1/logs</c> pages.</summary>
    public static async Task<List<LogEntry>> QueryAllAsync(HubHost hub, string? key = null)
    {
        var all = new List<LogEntry>();
        string? next = "v1/logs?limit=1000&after=0";
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next.TrimStart('/'));
            if (key is not null)
            {
                request.Headers.Authorization = new("Bearer", key);
            }

            using var response = await hub.Http.SendAsync(request).OrTimeout(TimeSpan.FromSeconds(30));
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsByteArrayAsync();
            var page = HttpBodyJson.ParseQueryPage(body);
            all.AddRange(page.Entries);
            next = page.Next;
        }

        return all;
    }

    public static LogEntry[] Entries(int first, int count, string source = "test") =>
        [.. Enumerable.Range(first, count).Select(i => new LogEntry { Message = $"m{i}", Source = source })];
}

/// <summary>Completes waiters when a reported count reaches their threshold (no polling).</summary>
internal sealed class Progress
{
    private readonly Lock _lock = new();
    private readonly List<(long Threshold, TaskCompletionSource Done)> _waiters = [];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Report(long count)
    {
        lock (_lock)
        {
            _count = count;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (count >= _waiters[i].Threshold)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public Task WaitForAsync(long threshold)
    {
        lock (_lock)
        {
            if (_count >= threshold)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((threshold, done));
            return done.Task;
        }
    }
}
