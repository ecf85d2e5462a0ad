using System.Net.WebSockets;

namespace Lifeline.Hub.Client;

/// <summary>The hub ended a connection in a way that must not be retried (e.g. <c>4401</c> unknown key, <c>4403</c> missing scope), or the client gave up.</summary>
public sealed class HubConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HubConnectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public HubConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public HubConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a close the client will not retry.</summary>
    public HubConnectionException(WebSocketCloseStatus? closeStatus, string? closeDescription, Exception? innerException)
        : base($"The hub connection ended and will not be retried: {(closeStatus is { } s ? $"close {(int)s} '{closeDescription}'" : "no close frame")}.", innerException)
    {
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    /// <summary>The hub's close code, when it sent one.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The hub's close reason text, when it sent one.</summary>
    public string? CloseDescription { get; }
}
