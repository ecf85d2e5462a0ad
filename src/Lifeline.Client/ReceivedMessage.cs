using System.Net.WebSockets;
using System.Text;

namespace Lifeline.Client;

/// <summary>
/// One message received from the server. Immutable and safe to share between threads; <see cref="Text"/> is decoded
/// on first access and cached.
/// </summary>
public sealed class ReceivedMessage
{
    private readonly byte[] _utf8;
    private string? _text;

    internal ReceivedMessage(byte[] utf8, WebSocketMessageType messageType, long epoch)
    {
        _utf8 = utf8;
        MessageType = messageType;
        Epoch = epoch;
    }

    /// <summary>The message's bytes: UTF-8 for a text message.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The message decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string Text => _text ??= Encoding.UTF8.GetString(_utf8);

    /// <summary><see cref="WebSocketMessageType.Text"/> or <see cref="WebSocketMessageType.Binary"/>.</summary>
    public WebSocketMessageType MessageType { get; }

    /// <summary>The connection it arrived on: 1 for the first successful connection, then one more per reconnect.</summary>
    public long Epoch { get; }

    /// <inheritdoc />
    public override string ToString() => Text;
}
