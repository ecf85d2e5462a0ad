using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Lifeline.Client;
using Lifeline.Hub.Client;
using Lifeline.Protocol;

namespace Lifeline.Cli.Hub;

/// <summary>
/// Entries for <c>lifeline tail</c>, each once and in id order: first the history, paged from <c>GET /v1/logs</c>
/// (which also fails fast on a wrong URL or key), then, with <see cref="TailOptions.Follow"/>, the live stream through
/// the typed hub client, subscribed after the last id printed; it resumes from the last id across reconnects.
/// Connection changes go to <paramref name="status"/>. Not thread-safe: one enumeration at a time.
/// </summary>
internal sealed class LogTail(HubEndpoint endpoint, TailOptions options, TextWriter status)
{
    private const int PageSize = 1000;
    private long _position;
    private int _connects;

    public async IAsyncEnumerable<StreamEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (var http = new HubHttpClient(endpoint, TimeSpan.FromSeconds(30)))
        {
            _position = options.After ?? await BacklogStartAsync(http, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var page = await http.QueryAsync(options.Filter, _position, PageSize, cancellationToken).ConfigureAwait(false);
                foreach (var entry in page.Entries)
                {
                    _position = entry.Id;
                    yield return entry;
                }

                if (!page.More)
                {
                    break;
                }
            }
        }

        if (!options.Follow)
        {
            yield break;
        }

        var client = new LifelineHubClient(new LifelineHubClientOptions
        {
            Url = endpoint.BaseUri,
            ApiKey = endpoint.Key,
            ClientId = options.ClientId,
            ConfigureClient = Configure,
        });
        await using var disposeClient = client.ConfigureAwait(false);
        var subscribe = new SubscribeOptions { OnGap = gap => status.WriteLine($"lifeline: gap: entries {gap.FromId}-{gap.ToId} are lost ({gap.Reason})") };
        await foreach (var entry in client.SubscribeAsync(options.Filter.WithAfter(Volatile.Read(ref _position)), subscribe, cancellationToken).ConfigureAwait(false))
        {
            Volatile.Write(ref _position, entry.Id);
            yield return StreamEntry.From(entry);
        }
    }

    /// <summary>
    /// The position after which the newest <see cref="TailOptions.Backlog"/> entries that match the filter begin (ids
    /// are not counted before the filter: <c>-n 3 --level warning</c> is the last three warnings). The hub pages oldest
    /// first, so windows back from the newest id are read, each four times the last, until one holds enough matches or
    /// reaches the start: the ids read are at most about 4/3 of the last window, and only Backlog + 1 ids are kept.
    /// </summary>
    private async Task<long> BacklogStartAsync(HubHttpClient http, CancellationToken cancellationToken)
    {
        var newest = (await http.QueryAsync(options.Filter, null, 1, cancellationToken).ConfigureAwait(false)).LastId;
        if (options.Backlog == 0 || options.Filter.MatchesAll)
        {
            return Math.Max(0, newest - options.Backlog); // every id matches: count ids
        }

        var matches = new Queue<long>(options.Backlog + 1); // the newest Backlog + 1 matching ids in the window
        for (long window = options.Backlog; ; window *= 4)
        {
            var after = Math.Max(0, newest - window);
            matches.Clear();
            for (var position = after; ;)
            {
                var page = await http.QueryAsync(options.Filter, position, PageSize, cancellationToken).ConfigureAwait(false);
                foreach (var entry in page.Entries.TakeWhile(e => e.Id <= newest))
                {
                    if (matches.Count == options.Backlog + 1)
                    {
                        matches.Dequeue();
                    }

                    matches.Enqueue(entry.Id);
                    position = entry.Id;
                }

                if (!page.More || page.Entries.Count == 0 || page.Entries[^1].Id >= newest)
                {
                    break;
                }
            }

            if (matches.Count > options.Backlog)
            {
                return matches.Peek(); // the match just before the last Backlog ones
            }

            if (matches.Count == options.Backlog || after == 0)
            {
                return after;
            }
        }
    }

    /// <summary>Reports connects and reconnects; the delay rules are the typed client's (the hub's hint after 1001, at once after 4008).</summary>
    private void Configure(LifelineClientOptions client)
    {
        client.TimeProvider = options.Time;
        client.Reconnect.BaseDelay = options.ReconnectDelay;
        client.Reconnect.MaxDelay = options.MaxReconnectDelay;
        client.OnConnected = (_, _) =>
        {
            status.WriteLine(Interlocked.Increment(ref _connects) == 1
                ? $"lifeline: connected as {options.ClientId}, following after id {Volatile.Read(ref _position)}"
                : $"lifeline: reconnected, resuming after id {Volatile.Read(ref _position)}");
            return Task.CompletedTask;
        };
        client.Reconnect.Policy = context =>
        {
            var delay = Delay(context);
            status.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lifeline: disconnected: {Describe(context)}; reconnecting in {delay.TotalSeconds:0.0} s (attempt {context.Attempt})"));
            return delay;
        };
    }

    private static TimeSpan Delay(ReconnectContext context) => (int?)context.CloseStatus switch
    {
        CloseCodes.GoingAway when CloseReason.TryParse(context.CloseDescription, out var reason) && reason.RetryAfterMs is { } ms and >= 0 => TimeSpan.FromMilliseconds(ms),
        CloseCodes.SlowConsumer => TimeSpan.Zero,
        _ => context.DefaultDelay,
    };

    private string Describe(ReconnectContext context) => context switch
    {
        { CloseStatus: WebSocketCloseStatus.EndpointUnavailable } => "the hub is shutting down (1001)",
        { CloseStatus: { } code } => $"the hub closed the stream ({(int)code} {context.CloseDescription})",
        { Reason: DisconnectReason.HeartbeatTimeout } => "the hub stopped answering",
        { Exception: { } exception } => CliErrors.Describe(exception, endpoint, hint: false).Message,
        _ => $"connection lost ({context.Reason})",
    };

    /// <summary>Turns a subscription that the hub ended for good into the CLI's one-line error and exit code.</summary>
    public CliException Explain(HubConnectionException exception)
    {
        var fault = exception.InnerException as ClientFaultedException;
        var close = (int?)(exception.CloseStatus ?? fault?.CloseStatus);
        return (close, fault?.HttpStatusCode) switch
        {
            (4401, _) or (_, 401) => new CliException($"the hub at {endpoint} refused the key ({(close is null ? "401 unauthorized" : "4401: unknown, revoked or expired")}); pass a valid key with --key or {GlobalOptions.KeyVariable}", ExitCodes.Unauthorized, exception),
            (4403, _) or (_, 403) => new CliException($"the key lacks the 'read' scope on the hub at {endpoint} ({close?.ToString(CultureInfo.InvariantCulture) ?? "403"})", ExitCodes.Unauthorized, exception),
            _ => new CliException($"the hub at {endpoint} ended the stream: {exception.Message}", ExitCodes.Failure, exception),
        };
    }
}
