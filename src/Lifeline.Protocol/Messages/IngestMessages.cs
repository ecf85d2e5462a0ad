namespace Lifeline.Protocol;

/// <summary>A message on <c>/v1/ingest</c> (docs/protocol.md, "WebSocket /v1/ingest").</summary>
public abstract record IngestMessage;

/// <summary>Client to hub: <c>{"type":"publish","ref":"7","entries":[...]}</c>.</summary>
/// <param name="Ref">Chosen by the client, at most <see cref="MaxRefLength"/> characters; with <c>clientId</c> an idempotency key.</param>
/// <param name="Entries">The entries to store.</param>
public sealed record PublishMessage(string Ref, IReadOnlyList<LogEntry> Entries) : IngestMessage
{
    /// <summary>The longest <c>ref</c> the hub accepts.</summary>
    public const int MaxRefLength = 64;
}

/// <summary>Hub to client: <c>{"type":"ack","ref":"7","count":1,"firstId":1043,"lastId":1043}</c>, once the batch is in the store.</summary>
/// <param name="Ref">The publish's ref.</param>
/// <param name="Count">Entries stored.</param>
/// <param name="FirstId">Id of the first (0 when <paramref name="Count"/> is 0).</param>
/// <param name="LastId">Id of the last (0 when <paramref name="Count"/> is 0).</param>
public sealed record AckMessage(string Ref, int Count, long FirstId, long LastId) : IngestMessage;

/// <summary>Hub to client: the batch is invalid and nothing of it was stored; the socket stays open.</summary>
/// <param name="Ref">The publish's ref, when it could be read.</param>
/// <param name="Error">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Index">The first bad entry's index, when the error is about one entry.</param>
public sealed record ErrorMessage(string? Ref, string Error, string Message, int? Index) : IngestMessage;

/// <summary>The <c>200</c> answer of <c>POST /v1/logs</c>: <c>{"count":3,"firstId":1040,"lastId":1042}</c>.</summary>
/// <param name="Count">Entries stored.</param>
/// <param name="FirstId">Id of the first (0 when <paramref name="Count"/> is 0).</param>
/// <param name="LastId">Id of the last (0 when <paramref name="Count"/> is 0).</param>
public sealed record PublishResult(int Count, long FirstId, long LastId);
