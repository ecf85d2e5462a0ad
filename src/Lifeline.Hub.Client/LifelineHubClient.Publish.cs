using Lifeline.Protocol;

namespace Lifeline.Hub.Client;

public sealed partial class LifelineHubClient
{
    /// <summary>
    /// Publishes <paramref name="entries"/> over <c>/v1/ingest</c> and completes once the hub has stored them, with their ids.
    /// A batch larger than <see cref="LifelineHubClientOptions.MaxPublishBytes"/> goes as several messages, in order.
    /// </summary>
    /// <remarks>
    /// Each message carries a <c>ref</c> unique to this client instance; if the connection is replaced before the
    /// acknowledgement arrives, the message is sent again with the same <c>ref</c> and <c>clientId</c>, and the hub answers a
    /// repeat with the first acknowledgement without storing anything again. So a batch is stored exactly once, however
    /// many times it is retried. An <c>unavailable</c> answer (a cluster node whose engine did not take the message; nothing
    /// was stored) is retried the same way, with the same <c>ref</c>, after the reconnect backoff
    /// (<see cref="Lifeline.Client.ReconnectOptions"/>). Waits (without limit) through reconnects and such answers: bound it
    /// with <paramref name="cancellationToken"/>.
    /// </remarks>
    /// <exception cref="HubPublishRejectedException">The hub refused the batch as invalid; nothing of it was stored
    /// (for a batch split into several messages, the messages before the refused one were). Or, with <c>Error</c>
    /// <c>unavailable</c>, a node answered so <see cref="Lifeline.Client.ReconnectOptions.MaxAttempts"/> times in a row.</exception>
    /// <exception cref="HubConnectionException">The hub closed the connection with a code that must not be retried (e.g. 4401, 4403).</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<PublishAck> PublishAsync(IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var acks = new List<PublishAck>(1);
        var offset = 0;
        foreach (var (frame, count) in _ingest.Encode(entries))
        {
            try
            {
                acks.Add(await _ingest.PublishAsync(frame, cancellationToken).ConfigureAwait(false));
            }
            catch (HubPublishRejectedException ex) when (ex.Index is int index)
            {
                // Report the index within the caller's batch, not within the split-off message.
                throw new HubPublishRejectedException(ex.Error, ex.Message, index + offset);
            }

            offset += count;
        }

        return acks.Count switch
        {
            0 => default,
            1 => acks[0],
            _ => new PublishAck(acks.Sum(a => a.Count), acks[0].FirstId, acks[^1].LastId),
        };
    }

    /// <summary>The ingest connection's options: <c>/v1/ingest?clientId=</c>, fatal closes per the protocol.</summary>
    internal Lifeline.Client.LifelineClientOptions CreateIngestOptions()
    {
        var options = CreateClientOptions(() => Endpoint("v1/ingest", "clientId=" + Uri.EscapeDataString(ClientId)), "lifeline-ingest");
        var userFatal = options.IsFatalClose;
        options.IsFatalClose = (status, description) => IsFatalClose(status, description) || userFatal?.Invoke(status, description) == true;
        return options;
    }
}
