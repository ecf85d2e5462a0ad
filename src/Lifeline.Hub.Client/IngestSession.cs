using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Security.Cryptography;
using Lifeline.Client;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Hub.Client;

/// <summary>
/// The one <c>/v1/ingest</c> connection of a <see cref="LifelineHubClient"/>: sends publish messages, matches acks and
/// errors to them by <c>ref</c>, and re-sends every unacknowledged message (same <c>ref</c>) on each new connection, and
/// after an <c>unavailable</c> answer (a cluster node whose engine did not take it: nothing was acked).
/// </summary>
/// <remarks>
/// Thread-safe. Invariant: a message is in <see cref="_pending"/> from before its first send until its ack, error or
/// cancellation; <see cref="OnConnectedAsync"/> re-sends all of them in ref order before anything buffered goes out.
/// An <c>unavailable</c> answer is not an end: the publishing call waits the reconnect backoff and sends the same
/// <c>ref</c> again (the hub stores a <c>ref</c> once), until an ack, another error, its cancellation, or
/// <see cref="ReconnectOptions.MaxAttempts"/> such answers in a row.
/// </remarks>
internal sealed partial class IngestSession : IAsyncDisposable
{
    private readonly LifelineHubClient _owner;
    private readonly int _maxBytes;
    private readonly string _refPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + "-";
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Pending> _pending = [];
    private readonly Dictionary<string, Pending> _byRef = new(StringComparer.Ordinal);
    private LifelineClient? _client;
    private Task? _disposeTask;
    private long _nextRef;

    // Set with the first client (under _lock), from the same options: how a publish answered unavailable backs off.
    private ReconnectOptions _backoff = new();
    private TimeProvider _time = TimeProvider.System;
    private ILogger _logger = NullLogger.Instance;

    public IngestSession(LifelineHubClient owner, int maxBytes)
    {
        _owner = owner;
        _maxBytes = maxBytes;
    }

    /// <summary>Splits entries into publish payloads of at most the byte limit (an entry on its own may exceed it).</summary>
    public IEnumerable<(ReadOnlyMemory<byte> Entries, int Count)> Encode(IReadOnlyList<LogEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var count = 0;
        foreach (var entry in entries)
        {
            var json = LogEntryJson.Serialize(entry);
            if (count > 0 && buffer.WrittenCount + json.Length + 1 > _maxBytes - 128)
            {
                yield return (buffer.WrittenMemory.ToArray(), count);
                buffer.ResetWrittenCount();
                count = 0;
            }

            if (count > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(json);
            count++;
        }

        if (count > 0)
        {
            yield return (buffer.WrittenMemory.ToArray(), count);
        }
    }

    /// <summary>Publishes one message (its entries already encoded as a JSON array body) and waits for its ack.</summary>
    public async Task<PublishAck> PublishAsync(ReadOnlyMemory<byte> entries, CancellationToken cancellationToken)
    {
        Pending pending;
        LifelineClient client;
        LifelineClient? retired = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
            if (_client is { State: ClientState.Faulted })
            {
                // The last connection ended in a way the client does not retry (e.g. 401/4401: unknown key). A new
                // publish is a new attempt, so a key that becomes valid later is picked up.
                retired = _client;
                _client = null;
            }

            var number = ++_nextRef;
            var reference = _refPrefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pending = new Pending(number, reference, Frame(reference, entries.Span));
            _pending.Add(number, pending);
            _byRef.Add(reference, pending);
            client = _client ??= StartClient();
        }

        if (retired is not null)
        {
            await retired.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            // Cancels whichever outcome the publish waits for then (a retry after unavailable waits for a new one).
            using var registration = cancellationToken.Register(static p => ((Pending)p!).Done.TrySetCanceled(), pending);
            for (var unavailable = 0; ; unavailable++)
            {
                var result = await client.SendAsync(pending.Frame, cancellationToken).ConfigureAwait(false);
                if (result.Status == SendStatus.Failed && client.State is ClientState.Stopped or ClientState.Faulted)
                {
                    pending.Done.TrySetException(Failure(client));
                }

                // Otherwise it was sent, or it will be: a send lost with its connection is repeated by OnConnectedAsync.
                var done = pending.Done;
                try
                {
                    return await done.Task.ConfigureAwait(false);
                }
                catch (HubPublishRejectedException e) when (e.Error == ErrorCodes.Unavailable && (_backoff.MaxAttempts is not { } max || unavailable + 1 < max))
                {
                    // Nothing was acked: the same ref again, after the backoff a reconnect would wait.
                    var delay = _backoff.GetBackoffDelay(unavailable + 1);
                    LogUnavailable(_logger, pending.Ref, _owner.ClientId, delay);
                    pending.Rearm(done);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    lock (_lock)
                    {
                        client = _client ?? client;
                    }
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _pending.Remove(pending.Number);
                _byRef.Remove(pending.Ref);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposeTask ??= DisposeCoreAsync(_client);
        }

        return new ValueTask(_disposeTask);
    }

    private async Task DisposeCoreAsync(LifelineClient? client)
    {
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        FailAll(new ObjectDisposedException(nameof(LifelineHubClient)));
    }

    private LifelineClient StartClient()
    {
        var options = _owner.CreateIngestOptions();
        _backoff = options.Reconnect;
        _time = options.TimeProvider;
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger<LifelineHubClient>() ?? NullLogger.Instance;
        options.EnableReadAll = false;
        options.OnConnected = OnConnectedAsync;
        var client = new LifelineClient(options);
        client.MessageReceived += (_, e) => OnMessage(e.Message.Utf8.Span);
        client.Disconnected += (_, e) =>
        {
            if (!e.WillReconnect && e.Reason != DisconnectReason.ByUser)
            {
                FailAll(new HubConnectionException(e.CloseStatus, e.CloseDescription, e.Exception));
            }
        };

        // StartAsync only launches the supervisor; the first connect happens in the background.
        client.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return client;
    }

    /// <summary>Runs for each new connection before anything buffered is sent: every unacknowledged message again, in ref order.</summary>
    private async Task OnConnectedAsync(LifelineClient client, CancellationToken cancellationToken)
    {
        Pending[] resend;
        lock (_lock)
        {
            resend = [.. _pending.Values];
        }

        foreach (var pending in resend)
        {
            if (!pending.Done.Task.IsCompleted)
            {
                await client.SendAsync(pending.Frame, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void OnMessage(ReadOnlySpan<byte> json)
    {
        IngestMessage message;
        try
        {
            message = IngestMessageJson.Parse(json);
        }
        catch (ProtocolException)
        {
            return;   // Not ours to act on; the connection's own checks deal with a broken hub.
        }

        switch (message)
        {
            case AckMessage ack when Find(ack.Ref) is { } pending:
                pending.Done.TrySetResult(new PublishAck(ack.Count, ack.FirstId, ack.LastId));
                break;
            case ErrorMessage error when Find(error.Ref) is { } pending:
                pending.Done.TrySetException(new HubPublishRejectedException(error.Error, error.Message, error.Index));
                break;
        }
    }

    private Pending? Find(string? reference)
    {
        lock (_lock)
        {
            return reference is not null && _byRef.TryGetValue(reference, out var pending) ? pending : null;
        }
    }

    private void FailAll(Exception exception)
    {
        Pending[] all;
        lock (_lock)
        {
            all = [.. _pending.Values];
        }

        foreach (var pending in all)
        {
            pending.Done.TrySetException(exception);
        }
    }

    private static Exception Failure(LifelineClient client) =>
        client.Fault is { } fault ? new HubConnectionException(fault.Message, fault) : new ObjectDisposedException(nameof(LifelineHubClient));

    private static byte[] Frame(string reference, ReadOnlySpan<byte> entries)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"type\":\"publish\",\"ref\":{JsonSerializer.Serialize(reference)},\"entries\":[");
        var frame = new byte[head.Length + entries.Length + 2];
        head.CopyTo(frame, 0);
        entries.CopyTo(frame.AsSpan(head.Length));
        "]}"u8.CopyTo(frame.AsSpan(head.Length + entries.Length));
        return frame;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Publish {Ref} of client {ClientId} was answered unavailable (the hub's engine did not take it; nothing stored); sending the same ref again in {Delay}")]
    private static partial void LogUnavailable(ILogger logger, string @ref, string clientId, TimeSpan delay);

    private sealed class Pending(long number, string reference, byte[] frame)
    {
        private TaskCompletionSource<PublishAck> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Number { get; } = number;

        public string Ref { get; } = reference;

        public byte[] Frame { get; } = frame;

        /// <summary>The outcome the publish waits for now: completed by an ack, an error, a failure or cancellation.</summary>
        public TaskCompletionSource<PublishAck> Done => Volatile.Read(ref _done);

        /// <summary>
        /// After an <c>unavailable</c> answer: a new outcome to wait for (an answer to an earlier send of this ref that
        /// arrives on the old one is lost harmlessly: the hub answers the next send of the ref the same way).
        /// </summary>
        public void Rearm(TaskCompletionSource<PublishAck> answered) =>
            Interlocked.CompareExchange(ref _done, new(TaskCreationOptions.RunContinuationsAsynchronously), answered);
    }
}
