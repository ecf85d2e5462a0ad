using System.Net.WebSockets;

namespace Lifeline.Client;

/// <summary>The client gave up reconnecting: a fatal error, the <see cref="ReconnectOptions.Policy"/> or <see cref="ReconnectOptions.MaxAttempts"/>.</summary>
public sealed class ClientFaultedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClientFaultedException()
        : this("The client gave up reconnecting.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ClientFaultedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error behind it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The error behind it.</param>
    public ClientFaultedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal ClientFaultedException(string message, int? httpStatusCode, WebSocketCloseStatus? closeStatus, string? closeDescription, Exception? innerException)
        : base(message, innerException)
    {
        HttpStatusCode = httpStatusCode;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    /// <summary>The handshake's HTTP status when the server rejected it (401, 403, ...).</summary>
    public int? HttpStatusCode { get; }

    /// <summary>The server's close status when a close was fatal (1008, 4401, ...).</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The server's close description, if any.</summary>
    public string? CloseDescription { get; }
}
