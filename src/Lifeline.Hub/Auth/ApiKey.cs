namespace Lifeline.Hub.Auth;

/// <summary>What a key may do (docs/protocol.md, "Authentication").</summary>
[Flags]
public enum HubScopes
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Stream, query, stats.</summary>
    Read = 1,

    /// <summary>Publish.</summary>
    Write = 2,

    /// <summary>Everything, plus key management.</summary>
    Admin = 4,
}

/// <summary>A loaded API key. <see cref="Revoked"/> fires once when it is revoked, removed or expires; open streams then close with 4401.</summary>
internal sealed class ApiKey(string id, HubScopes scopes, DateTimeOffset? expires) : IDisposable
{
    private readonly CancellationTokenSource _revoked = new();

    public string Id { get; } = id;

    public HubScopes Scopes { get; } = scopes;

    public DateTimeOffset? Expires { get; } = expires;

    public CancellationToken Revoked => _revoked.Token;

    public bool IsRevoked => _revoked.IsCancellationRequested;

    public bool Allows(HubScopes scope) => (Scopes & (scope | HubScopes.Admin)) != 0;

    public void Revoke() => _revoked.Cancel();

    public void Dispose() => _revoked.Dispose();
}
