"""Local emulators of the message providers' HTTP APIs (Aliyun SendSms, Tencent Cloud SMS,
WeChat subscribeMessage.send), for tests and demos: each checks a request the way its
provider documents (signature, parameters, phone format) and can fail on demand. They
import nothing of hall/ and share only ``server.Emulator``."""
