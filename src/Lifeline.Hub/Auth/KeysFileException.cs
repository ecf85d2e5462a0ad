namespace Lifeline.Hub;

/// <summary>
/// The keys file (<see cref="HubOptions.KeysFile"/>) could not be loaded when the hub started: missing, unreadable, not
/// valid JSON, or not of the documented shape (docs/hub.md, "Keys"). The hub does not start: with no keys every request
/// would be refused with 401. A file that turns invalid later is logged and the keys loaded before stay in force.
/// </summary>
public sealed class KeysFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>; the message names the file and the cause.</summary>
    public KeysFileException(string path, Exception innerException)
        : base($"keys file '{path}' is invalid: {innerException?.Message}", innerException)
    {
        Path = path;
    }

    /// <summary>Creates the exception.</summary>
    public KeysFileException()
        : base("the keys file is invalid")
    {
        Path = "";
    }

    /// <summary>Creates the exception.</summary>
    public KeysFileException(string message)
        : base(message)
    {
        Path = "";
    }

    /// <summary>The keys file.</summary>
    public string Path { get; }

    /// <summary>Loads <paramref name="path"/> as the hub does at start, so a tool can refuse a bad file before it starts a hub.</summary>
    /// <exception cref="KeysFileException">The file cannot be loaded; the message names it and the cause (the JSON error with its position).</exception>
    public static void ThrowIfInvalid(string path) => Auth.ApiKeyStore.LoadFile(path);
}
