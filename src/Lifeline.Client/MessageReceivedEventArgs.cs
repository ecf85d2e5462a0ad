namespace Lifeline.Client;

/// <summary>Raised for each message received, in order, on the client's event dispatch loop.</summary>
public sealed class MessageReceivedEventArgs : EventArgs
{
    internal MessageReceivedEventArgs(ReceivedMessage message) => Message = message;

    /// <summary>The message.</summary>
    public ReceivedMessage Message { get; }
}
