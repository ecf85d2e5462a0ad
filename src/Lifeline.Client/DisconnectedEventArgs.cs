using System.Net.WebSockets;

namespace Lifeline.Client;

/// <summary>Why a connection ended.</summary>
public enum DisconnectReason
{
    /// <summary><see cref="LifelineClient.StopAsync"/> or <see cref="LifelineClient.DisposeAsync"/> closed it.</summary>
    ByUser,

    /// <summary>The server sent a close frame; see <see cref="DisconnectedEventArgs.CloseStatus"/>.</summary>
    ByServer,

    /// <summary>The connection died without a close frame (reset, end of stream).</summary>
    Lost,

    /// <summary>The peer stopped answering: no pong within <see cref="LifelineClientOptions.KeepAliveTimeout"/>, or no message within <see cref="LifelineClientOptions.InactivityTimeout"/>.</summary>
    HeartbeatTimeout,

    /// <summary>The client ended it because of an error: a send failed, a message was too large, or <see cref="LifelineClientOptions.OnConnected"/> threw.</summary>
    Error,
}

/// <summary>Raised once per connection that ended, after every loop of that connection has stopped.</summary>
public sealed class DisconnectedEventArgs : EventArgs
{
    internal DisconnectedEventArgs(long epoch, DisconnectReason reason, WebSocketCloseStatus? closeStatus, string? closeDescription, Exception? exception, bool willReconnect)
    {
        Epoch = epoch;
        Reason = reason;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
        Exception = exception;
        WillReconnect = willReconnect;
    }

    /// <summary>The connection that ended.</summary>
    public long Epoch { get; }

    /// <summary>Why it ended.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>The server's close status when <see cref="Reason"/> is <see cref="DisconnectReason.ByServer"/>.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The server's close description, if any.</summary>
    public string? CloseDescription { get; }

    /// <summary>The error behind it, if any.</summary>
    public Exception? Exception { get; }

    /// <summary>Whether the client will try to reconnect (false when stopping or when the close was fatal).</summary>
    public bool WillReconnect { get; }

    /// <inheritdoc />
    public override string ToString() => CloseStatus is { } status
        ? $"{Reason} ({(int)status} {CloseDescription})"
        : Exception is null ? Reason.ToString() : $"{Reason} ({Exception.Message})";
}
