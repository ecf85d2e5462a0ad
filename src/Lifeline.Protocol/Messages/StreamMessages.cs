namespace Lifeline.Protocol;

/// <summary>A message the hub sends on <c>/v1/stream</c> (docs/protocol.md, "Subscribing").</summary>
public abstract record StreamMessage;

/// <summary><c>{"type":"hello","protocol":1,"lastId":1042,"heartbeatMs":30000}</c>: first, always.</summary>
/// <param name="Protocol">The protocol version (1).</param>
/// <param name="LastId">The newest id in the store at subscribe time (0 when empty).</param>
/// <param name="HeartbeatMs">The heartbeat interval in milliseconds.</param>
public sealed record HelloMessage(int Protocol, long LastId, int HeartbeatMs) : StreamMessage;

/// <summary><c>{"type":"entries","entries":[...]}</c>: matching entries, ids strictly increasing.</summary>
/// <param name="Entries">The entries, oldest first.</param>
public sealed record EntriesMessage(IReadOnlyList<LogEntry> Entries) : StreamMessage;

/// <summary><c>{"type":"gap","fromId":1001,"toId":1500,"reason":"retention"}</c>: an inclusive id range never to be sent.</summary>
/// <param name="FromId">First missing id.</param>
/// <param name="ToId">Last missing id.</param>
/// <param name="Reason">One of <see cref="GapReasons"/>.</param>
public sealed record GapMessage(long FromId, long ToId, string Reason) : StreamMessage;

/// <summary><c>{"type":"live","lastId":1042}</c>: catch-up has reached the live stream (sent once).</summary>
/// <param name="LastId">The position the stream has been served through.</param>
public sealed record LiveMessage(long LastId) : StreamMessage;

/// <summary><c>{"type":"heartbeat","lastId":1042,"ts":"..."}</c>: sent when nothing else was for a heartbeat interval.</summary>
/// <param name="LastId">The newest id in the store.</param>
/// <param name="Timestamp">The hub's time.</param>
public sealed record HeartbeatMessage(long LastId, DateTimeOffset Timestamp) : StreamMessage;
