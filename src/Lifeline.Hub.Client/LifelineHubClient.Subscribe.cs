using System.Runtime.CompilerServices;
using Lifeline.Client;
using Lifeline.Protocol;

namespace Lifeline.Hub.Client;

public sealed partial class LifelineHubClient
{
    /// <summary>
    /// Streams the entries matching <paramref name="filter"/>: from <see cref="LogFilter.After"/> when it is set (else from
    /// now), each exactly once and in id order, resuming after the last id seen whenever the connection is replaced.
    /// </summary>
    /// <remarks>
    /// Every enumeration opens its own connection and closes it when the enumeration ends. Reconnects follow the hub's
    /// close reasons: after a 1001 the client waits the hub's <c>retryAfterMs</c>; after a 4008 it resumes at once.
    /// Entries with an id not above the last one seen are dropped (a safety net at the resume seam).
    /// Gaps announced by the hub go to <see cref="SubscribeOptions.OnGap"/>.
    /// </remarks>
    /// <exception cref="HubConnectionException">The hub closed with a code that must not be retried (e.g. 4401, 4403, 4400).</exception>
    /// <exception cref="ProtocolException">The hub sent a message that does not follow the protocol.</exception>
    public async IAsyncEnumerable<LogEntry> SubscribeAsync(
        LogFilter filter,
        SubscribeOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        options ??= new SubscribeOptions();
        var position = new ResumePosition(filter.After);
        var clientOptions = CreateClientOptions(
            () => Endpoint("v1/stream", AddClientId(filter.WithAfter(position.Value).ToQueryString())),
            "lifeline-subscribe");
        clientOptions.InactivityTimeout = options.InactivityTimeout;
        clientOptions.EnableReadAll = true;
        var userPolicy = clientOptions.Reconnect.Policy;
        clientOptions.Reconnect.Policy = context => userPolicy is null ? ReconnectDelay(context) : userPolicy(context);
        var userFatal = clientOptions.IsFatalClose;
        clientOptions.IsFatalClose = (status, description) => IsFatalClose(status, description) || userFatal?.Invoke(status, description) == true;

        var client = new LifelineClient(clientOptions);
        await using var disposeClient = client.ConfigureAwait(false);
        await client.StartAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var received in client.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (StreamMessageJson.Parse(received.Utf8.Span))
            {
                case HelloMessage hello:
                    // Without a resume position the stream starts after what the store held at subscribe time: resuming
                    // from there after a disconnect loses nothing published meanwhile.
                    position.InitializeIfUnset(hello.LastId);
                    break;
                case EntriesMessage entries:
                    foreach (var entry in entries.Entries)
                    {
                        if (position.TryAdvance(entry.Id))
                        {
                            yield return entry;
                        }
                    }

                    break;
                case GapMessage gap:
                    // Resume after the gap: those ids will never come, asking again would only repeat the notice.
                    if (position.TryAdvance(gap.ToId))
                    {
                        options.OnGap?.Invoke(gap);
                    }

                    break;
            }
        }

        // ReadAllAsync ended without cancellation: the client stopped for good.
        cancellationToken.ThrowIfCancellationRequested();
        throw client.Fault is { } fault
            ? new HubConnectionException(fault.Message, fault)
            : new HubConnectionException("The subscription's connection ended and will not be retried.");
    }

    private string AddClientId(string query) =>
        (query.Length == 0 ? "" : query + "&") + "clientId=" + Uri.EscapeDataString(ClientId);

    /// <summary>The largest id seen (or the start position); read by the connect thread, written by the enumerating one.</summary>
    private sealed class ResumePosition(long? start)
    {
        private long _value = start ?? -1;

        /// <summary>The <c>after</c> to connect with; <see langword="null"/> before anything is known (stream from now).</summary>
        public long? Value => Volatile.Read(ref _value) is var v and >= 0 ? v : null;

        public void InitializeIfUnset(long lastId) => Interlocked.CompareExchange(ref _value, lastId, -1);

        /// <summary>Moves to <paramref name="id"/> if it is beyond the position; <see langword="false"/> for an id already seen.</summary>
        public bool TryAdvance(long id)
        {
            if (id <= Volatile.Read(ref _value))
            {
                return false;
            }

            Volatile.Write(ref _value, id);
            return true;
        }
    }
}
