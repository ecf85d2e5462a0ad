namespace Lifeline.Protocol;

/// <summary>The <c>type</c> values of WebSocket messages (docs/protocol.md).</summary>
public static class MessageTypes
{
    /// <summary>Stream: first message.</summary>
    public const string Hello = "hello";

    /// <summary>Stream: matching entries.</summary>
    public const string Entries = "entries";

    /// <summary>Stream: an id range that will never be sent.</summary>
    public const string Gap = "gap";

    /// <summary>Stream: catch-up has reached the live stream.</summary>
    public const string Live = "live";

    /// <summary>Stream: nothing else was sent for a heartbeat interval.</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>Ingest: a batch of entries to store.</summary>
    public const string Publish = "publish";

    /// <summary>Ingest: the batch is in the store.</summary>
    public const string Ack = "ack";

    /// <summary>Ingest: the batch is invalid.</summary>
    public const string Error = "error";
}

/// <summary>The <c>reason</c> values of a <c>gap</c> message.</summary>
public static class GapReasons
{
    /// <summary>The entries are older than what the hub retains.</summary>
    public const string Retention = "retention";

    /// <summary>The subscriber fell too far behind.</summary>
    public const string Overflow = "overflow";
}
