/// Consumer mailbox providers: an address there says nothing about the employer, so it never makes an account.
/// Kept as data; `defaults.free_mail_domains` in leadsync.yaml adds more.
public enum FreeMailDomains {
    public static let builtin: Set<String> = [
        // International
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "outlook.com", "hotmail.com", "live.com",
        "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "protonmail.com", "proton.me", "pm.me",
        "gmx.com", "mail.com", "zoho.com", "yandex.com", "tutanota.com", "fastmail.com", "hey.com",
        // France
        "yahoo.fr", "hotmail.fr", "outlook.fr", "live.fr", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net",
        "sfr.fr", "neuf.fr", "bbox.fr", "aliceadsl.fr", "club-internet.fr", "numericable.fr", "gmx.fr",
        "voila.fr", "caramail.com", "netcourrier.com",
        // Germany
        "gmx.de", "gmx.net", "web.de", "t-online.de", "freenet.de", "yahoo.de", "hotmail.de", "outlook.de",
        "posteo.de", "arcor.de", "mail.de",
        // United Kingdom
        "yahoo.co.uk", "hotmail.co.uk", "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net",
        "live.co.uk", "outlook.co.uk",
        // Belgium, Switzerland, Spain, Italy
        "skynet.be", "telenet.be", "bluewin.ch", "yahoo.es", "hotmail.es", "libero.it", "yahoo.it",
    ]
}
