namespace Lifeline.Hub.Client;

/// <summary>The hub refused a published batch as invalid; nothing of it was stored.</summary>
public sealed class HubPublishRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HubPublishRejectedException()
        : this("invalid_entry", "The hub rejected the batch.", null)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public HubPublishRejectedException(string message)
        : this("invalid_entry", message, null)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public HubPublishRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = "invalid_entry";
    }

    /// <summary>Creates the exception from the hub's error message.</summary>
    /// <param name="error">The error code, e.g. <c>invalid_entry</c> or <c>too_large</c>.</param>
    /// <param name="message">The hub's text.</param>
    /// <param name="index">The index in the batch of the first bad entry, when the hub named one.</param>
    public HubPublishRejectedException(string error, string message, int? index)
        : base($"The hub rejected the batch ({error}): {message}")
    {
        Error = error;
        Index = index;
    }

    /// <summary>The hub's error code, e.g. <c>invalid_entry</c> or <c>too_large</c>.</summary>
    public string Error { get; }

    /// <summary>The index in the batch of the first bad entry, when the hub named one.</summary>
    public int? Index { get; }
}
