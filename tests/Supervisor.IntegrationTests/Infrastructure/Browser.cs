using Microsoft.Playwright;

namespace Supervisor.IntegrationTests.Infrastructure;

/// <summary>
/// A real Chromium, headless, driven by Playwright: Debian's package (<c>apt-get install chromium</c>, which
/// scripts/test.sh does), launched by its path, since no browser can be downloaded here. <c>SUPERVISOR_CHROMIUM</c> names
/// another binary.
/// </summary>
sealed class Browser : IAsyncDisposable
{
    readonly IPlaywright _playwright;

    Browser(IPlaywright playwright, IBrowser chromium)
    {
        _playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    public static string ExecutablePath => System.Environment.GetEnvironmentVariable("SUPERVISOR_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"No Chromium at {ExecutablePath}: install Debian's (apt-get install chromium; scripts/test.sh does) or set SUPERVISOR_CHROMIUM.");
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true });
        return new Browser(playwright, chromium);
    }

    /// <summary>A fresh browser context (its own cookies) with a page on <paramref name="service"/>, signed in as <paramref name="tokenName"/>.</summary>
    public async Task<IPage> SignedInAsync(Uri service, string tokenName)
    {
        var page = await NewPageAsync(service);
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("API token").FillAsync(TestTokens.Of(tokenName));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Only until the navigation commits: the name in the header below is what says the page is there. Waiting for the
        // load event timed out once on a clean clone with the page's network already idle.
        await page.WaitForURLAsync(new Uri(service, "/").ToString() + "**", new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.Locator("#me")).ToContainTextAsync(tokenName);
        return page;
    }

    /// <summary>A fresh browser context (its own cookies) with an empty page whose relative addresses are on <paramref name="service"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri service)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = service.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
