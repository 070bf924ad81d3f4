// streaming server
