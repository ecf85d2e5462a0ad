using System.Text;

namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>
/// What a <see cref="LeanSubscriber"/> speaks after the WebSocket upgrade: the path it subscribes on, what it sends
/// first (a baseline server's handshake) and now and then (its keep-alive), and how it finds one delivered entry in a
/// text frame (a marker that starts each one) and the send timestamp an entry carries (the digits after a marker).
/// <see cref="Lifeline"/> is the hub's <c>/v1/stream</c>; a baseline server (bench/Lifeline.Benchmarks/Baselines) brings its own.
/// Immutable.
/// </summary>
/// <param name="Path">Path and query of the subscription request.</param>
/// <param name="Handshake">Payload of a text frame sent right after the upgrade, or <see langword="null"/>.</param>
/// <param name="KeepAlive">Payload of a text frame sent every <see cref="KeepAliveInterval"/>, or <see langword="null"/> (the server pings).</param>
/// <param name="EntryMarker">Bytes that start each delivered entry (and nothing else the server sends).</param>
/// <param name="TimestampMarker">Bytes after which an entry's send timestamp (<see cref="System.Diagnostics.Stopwatch"/> ticks) starts, up to a space.</param>
/// <param name="Ordered">Whether <see cref="EntryMarker"/> is followed by an id that increases by one (checked: gap-free order).</param>
public sealed record LeanFormat(string Path, byte[]? Handshake, byte[]? KeepAlive, byte[] EntryMarker, byte[] TimestampMarker, bool Ordered)
{
    /// <summary>
    /// How often <see cref="KeepAlive"/> is sent: well inside the 30 s after which servers of the SignalR kind drop a
    /// client that sent nothing.
    /// </summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(10);

    /// <summary>The Lifeline hub's <c>/v1/stream</c>: entries start with <c>{"id":</c> (the hub always writes the id first), the timestamp starts the message.</summary>
    public static LeanFormat Lifeline { get; } = new("/v1/stream", null, null, "{\"id\":"u8.ToArray(), "\"message\":\""u8.ToArray(), Ordered: true);

    /// <summary>The same format subscribing on another path and query (a resume with <c>after=</c>).</summary>
    public LeanFormat At(string pathAndQuery) => this with { Path = pathAndQuery };

    /// <inheritdoc />
    public override string ToString() => $"{Path} (entries start with {Encoding.UTF8.GetString(EntryMarker)})";
}
