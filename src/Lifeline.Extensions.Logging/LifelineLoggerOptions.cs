using Lifeline.Hub.Client.Shipping;

namespace Lifeline.Extensions.Logging;

/// <summary>Options of the Lifeline logger provider: where to ship (see <see cref="LogShippingOptions"/>) and what to include.</summary>
/// <remarks>Which categories and levels are shipped is decided by the usual logging filters (the provider alias is <c>Lifeline</c>).</remarks>
public sealed class LifelineLoggerOptions : LogShippingOptions
{
    /// <summary>Whether the active scopes are shipped: key/value scopes become properties, other scopes a <c>scopes</c> array of text.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool IncludeScopes { get; set; } = true;
}
