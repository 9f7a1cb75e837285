"""Local fakes of the SMS providers' APIs: small HTTP servers speaking each provider's
documented protocol (request signatures checked with the test key, the documented
answers, the receipt queries our poll makes), so that the official SDKs run end to end."""
